"""Two heads: two branches each added a revision after the same one, and nobody joined
them yet. Every command that meets them says so the same way, with the command that
joins them, instead of Alembic's "Multiple head revisions", "Ambiguous walk", or a
database that is "not up to date"."""

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .names import PROGRAM

MERGE = f'{PROGRAM} db merge heads -m "Join the branches"'


def unjoined(scripts: ScriptDirectory) -> list[str]:
    """The heads, when there are several and none carries a branch label: a history
    that forked by accident. Labelled branches are Alembic's own, on purpose."""
    heads = scripts.get_heads()
    if len(heads) < 2:
        return []
    if any(scripts.get_revision(head).branch_labels for head in heads):
        return []
    return sorted(heads)


def two_heads(heads: list[str]) -> str:
    return (
        f"The history has {len(heads)} heads, {', '.join(heads)}: two branches each "
        f"added a revision. Join them with `{MERGE}`, then run this again."
    )


def refuse_unjoined(scripts: ScriptDirectory) -> None:
    heads = unjoined(scripts)
    if heads:
        raise CommandError(two_heads(heads))


def explained(error: CommandError, scripts: ScriptDirectory) -> CommandError | None:
    """Alembic's error, in the words above, when it comes from unjoined heads or from a
    step down through a merge; None for any other error."""
    heads = unjoined(scripts)
    message = str(error)
    if heads and (
        message.startswith("Multiple head revisions")
        or message == "Target database is not up to date."
    ):
        return CommandError(two_heads(heads))
    if message.startswith("Ambiguous walk"):
        return CommandError(
            "One step down from a merge revision could go to either branch it joins: "
            f"name the revision to go down to (`{PROGRAM} db downgrade <revision>`; "
            f"`{PROGRAM} db history` lists them)."
        )
    return None
