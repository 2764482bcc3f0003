"""Bounded waits. A start has one budget, $MIGRATION_WAIT_ENV seconds, for everything it
waits for: the server to accept connections, another process's migration, table locks.
Each thing waited for is logged once, and when the budget is spent the start fails in
one line that names what it waited for."""

import logging
import random
import time

from .errors import DatabaseError
from .settings import MIGRATION_WAIT_ENV, wait_budget

log = logging.getLogger(__name__)


class Budget:
    """The seconds left for this start's waits."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = wait_budget() if seconds is None else seconds
        self.deadline = time.monotonic() + self.seconds
        self._said: set[str] = set()

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def wait(self, what: str, detail: str, pause: float) -> None:
        """Sleep `pause` seconds before trying again to get `what` (what stands in the
        way: `detail`), or give up when the budget is spent."""
        if not self.left():
            raise DatabaseError(gave_up(self.seconds, what, detail))
        if what not in self._said:
            self._said.add(what)
            say_waiting(self.seconds, what, detail)
        time.sleep(min(pause, self.left()))


def say_waiting(seconds: float, what: str, detail: str) -> None:
    log.info(
        "Waiting for %s (%s), for up to %g s (%s)",
        what, detail, seconds, MIGRATION_WAIT_ENV,
    )  # fmt: skip


def gave_up(seconds: float, what: str, detail: str) -> str:
    if not seconds:  # a command that only reads, or a budget of 0
        return f"Did not wait for {what}: {detail}"
    return (
        f"Gave up after {seconds:g} s ({MIGRATION_WAIT_ENV}) waiting for {what}: "
        f"{detail}"
    )


class Backoff:
    """Pauses between tries that double up to `longest`, each shortened by a random
    part, so processes that failed together do not all try again together."""

    def __init__(self, first: float, longest: float) -> None:
        self.next_pause = first
        self.longest = longest

    def pause(self) -> float:
        pause = self.next_pause * random.uniform(0.5, 1.0)
        self.next_pause = min(self.next_pause * 2, self.longest)
        return pause
