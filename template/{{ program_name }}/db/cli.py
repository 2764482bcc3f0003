"""The `db` commands: `<program> db ...` manages the database schema from any directory,
with the configuration the program itself uses. The program's own command line (cli.py,
the user's) adds them beside its own commands:

    db_cli.add_commands(commands)        # commands: the parser's add_subparsers()
    ...
    if args.command == "db":
        return db_cli.run(args)
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .errors import DatabaseError
from .names import DATABASE_URL_ENV, PROGRAM

if TYPE_CHECKING:
    from .drift import Drift

# The checkout's alembic.ini holds the settings for writing new revisions (file names,
# formatting); an installed program has no use for them.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# Actions that write revision files, which belong in a checkout.
WRITES_REVISIONS = {"revision", "merge", "squash", "lock"}
# What alembic.ini's logging sections set for the `alembic` command, so that both print
# the same lines.
LOG_FORMAT = "%(levelname)-5s [%(name)s] %(message)s"
LOG_LEVELS = {
    "alembic": logging.INFO,
    "alembic.runtime.plugins": logging.WARNING,
    "alembic.ddl.postgresql": logging.WARNING,
    PROGRAM: logging.INFO,
}


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add the `db` command and its actions to a parser's subcommands."""
    db_parser = commands.add_parser(
        "db",
        help="manage the database schema (Alembic migrations)",
        description=f"Manage the database schema: the database is ${DATABASE_URL_ENV}, "
        "or the SQLite file in your data directory when it is unset.",
    )
    actions = db_parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    upgrade = actions.add_parser("upgrade", help="upgrade to a revision; default: head")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL instead")
    downgrade = actions.add_parser("downgrade", help="downgrade to a revision, e.g. -1")
    downgrade.add_argument("revision")
    downgrade.add_argument("--sql", action="store_true", help="print the SQL instead")
    stamp = actions.add_parser(
        "stamp", help="record a revision in the database without migrating"
    )
    stamp.add_argument("revision")
    stamp.add_argument("--sql", action="store_true", help="print the SQL instead")
    stamp.add_argument(
        "--purge", action="store_true", help="delete the recorded revisions first"
    )
    current = actions.add_parser("current", help="show the database's revision")
    current.add_argument("-v", "--verbose", action="store_true")
    history = actions.add_parser("history", help="list the revisions")
    history.add_argument("-r", "--rev-range", help="a range, e.g. base:head or -3:")
    history.add_argument("-v", "--verbose", action="store_true")
    show = actions.add_parser("show", help="show one revision")
    show.add_argument("revision")
    heads = actions.add_parser("heads", help="show the newest revisions")
    heads.add_argument("-v", "--verbose", action="store_true")
    branches = actions.add_parser("branches", help="show where the history forks")
    branches.add_argument("-v", "--verbose", action="store_true")
    check = actions.add_parser("check", help="fail if the models need a migration")
    check.add_argument(
        "--previous",
        metavar="GIT_REVISION",
        help="check the models at this git revision (the last release tag) on the "
        "schema at head, as during a rolling deploy",
    )
    check.add_argument(
        "--scratch",
        action="store_true",
        help="try the history on a scratch SQLite database (and on PostgreSQL when "
        "TEST_" + DATABASE_URL_ENV + " is set), not on your own database",
    )
    drift = actions.add_parser(
        "drift",
        help="compare the database with what its history builds at its revision; "
        "exit 1 when they differ",
    )
    drift.add_argument("--json", action="store_true", help="print JSON instead")
    actions.add_parser(
        "adopt",
        help="for a database with tables but no revision: find the revision whose "
        "schema it has, and stamp it",
    )
    actions.add_parser(
        "lock",
        help="write migrations/versions.lock again from the revision files (in a "
        "checkout)",
    )
    sql = actions.add_parser(
        "sql",
        help="write each revision's PostgreSQL SQL to a file of its own, for the lock "
        "lint; print the files",
    )
    sql.add_argument(
        "--since",
        metavar="GIT_REVISION",
        help="only the revision files added since this git revision",
    )
    sql.add_argument("--to", default="sql", type=Path, help="the folder; default: sql")
    revision = actions.add_parser(
        "revision", help="write a new revision (in a checkout, for developers)"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument(
        "--autogenerate", action="store_true", help="diff the models and the database"
    )
    merge = actions.add_parser(
        "merge", help="join two or more heads in a new revision (in a checkout)"
    )
    merge.add_argument("revisions", nargs="+", help="the heads, or: heads")
    merge.add_argument("-m", "--message")
    squash = actions.add_parser(
        "squash",
        help="replace the revisions up to REVISION with one that builds the same "
        "(in a checkout)",
        description="Replace every revision from the first up to REVISION with one "
        "revision, with REVISION's id, that builds the same schema and rows. Before "
        "it keeps the new file, it compares databases built by the old history and "
        "by the new one: on SQLite, and on PostgreSQL when TEST_"
        + DATABASE_URL_ENV
        + " is set. Squash only when every database in the field is at REVISION or "
        "later.",
    )
    squash.add_argument("revision", metavar="REVISION")
    squash.add_argument("-m", "--message", help="the new revision's message")


def run(args: argparse.Namespace) -> int:
    """Run the `db` action that `args` names, with the same log lines as `alembic`."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from .. import models
    from . import adopt, drift, previous, scratch, sql_files, squash, versions_lock
    from .upgrade import alembic_config

    logging.basicConfig(format=LOG_FORMAT)
    for name, level in LOG_LEVELS.items():
        logging.getLogger(name).setLevel(level)

    if args.action in WRITES_REVISIONS:
        if not ALEMBIC_INI.is_file():
            fail(
                f"`db {args.action}` writes revision files into a project checkout, "
                f"and this {PROGRAM} is installed from a wheel: run it in the project's "
                "folder."
            )
        config = Config(ALEMBIC_INI)
    else:
        config = alembic_config()
    # env.py reads the options as it does for the `alembic` command: one-line errors,
    # and no revision file when autogenerate finds nothing.
    config.cmd_opts = args
    try:
        if args.action == "check":
            # A released revision edited, or the lock and versions/ apart, first.
            versions_lock.refuse_mismatch(ScriptDirectory.from_config(config))
        match args.action:
            case "upgrade":
                command.upgrade(config, args.revision, sql=args.sql)
            case "downgrade":
                command.downgrade(config, args.revision, sql=args.sql)
            case "stamp":
                command.stamp(config, args.revision, sql=args.sql, purge=args.purge)
            case "current":
                command.current(config, verbose=args.verbose)
            case "history":
                command.history(config, args.rev_range, verbose=args.verbose)
            case "show":
                command.show(config, args.revision)
            case "heads":
                command.heads(config, verbose=args.verbose)
            case "branches":
                command.branches(config, verbose=args.verbose)
            case "check" if args.previous:
                previous.check_previous(config, args.previous)
            case "check" if args.scratch:
                scratch.check_on_scratch(config)
            case "check":
                command.check(config)
            case "drift":
                return report_drift(drift.drift(config), args.json)
            case "adopt":
                for line in adopt.adopt(config):
                    print(line)
            case "lock":
                print(
                    f"Wrote {versions_lock.relock(ScriptDirectory.from_config(config))}"
                )
            case "sql":
                for path in sql_files.write_sql(config, args.since, args.to):
                    print(path)
            case "revision":
                command.revision(config, args.message, autogenerate=args.autogenerate)
            case "merge":
                command.merge(config, args.revisions, message=args.message)
            case "squash":
                squash.squash(config, models.Base.metadata, args.revision, args.message)
    except (CommandError, DatabaseError) as error:
        fail(str(error))
    return 0


def report_drift(found: Drift, as_json: bool) -> int:
    """Print the drift, a line per difference, or JSON; 1 when there is any."""
    lines = found.lines()
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
    elif lines:
        print(
            f"{found.database} differs from its history at {', '.join(found.revisions)}:"
        )
        for line in lines:
            print(f"  {line}")
    else:
        print(
            f"No drift: {found.database} is what its history builds at "
            f"{', '.join(found.revisions)}."
        )
    return 1 if lines else 0


def fail(message: str) -> NoReturn:
    """Fail as the alembic command does: "FAILED: ..." on one line, exit status 255."""
    print(f"FAILED: {message}")
    raise SystemExit(255)
