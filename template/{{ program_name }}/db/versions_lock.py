"""versions.lock, beside versions/: every revision, in the order they apply, with a hash
of its file.

Writing a revision (autogenerate, `db revision`, `db merge`: alembic.ini runs this
module after each file it writes; `db squash`) adds its line at the end. So two
branches that each add a revision both change the last line, and git reports a
conflict when the second is merged, before any CI runs. `db check` fails when a file
no longer has the hash its line records (a released revision was edited) or when the
lock and the folder disagree; `db lock` writes the lock again from the files, which a
reviewer sees in the diff.
"""

import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError, to_tuple

from . import revision_hashes
from .names import PROGRAM

LOCK_FILE = "versions.lock"
HEADER = f"""\
# Every revision in versions/, in the order they apply, and the sha256 of its file.
# Writing a revision adds its line; `{PROGRAM} db check` fails when a file no longer
# matches its line. A released revision never changes: make the change in a new one.
# A git conflict here means two branches each added a revision: `{PROGRAM} db merge
# heads -m "Join the branches"` joins them, and writes this with both sides' lines.
"""
LOCK = f"`{PROGRAM} db lock`"
_CONFLICT_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")

Lines = list[tuple[str, str]]


def lock_path(scripts: ScriptDirectory) -> Path:
    return Path(scripts.dir) / LOCK_FILE


def in_order(scripts: ScriptDirectory) -> Lines:
    """Each revision, base first, parents before children, and its file's hash."""
    return [
        (script.revision, revision_hashes.sha256(Path(script.path).read_bytes()))
        for script in reversed(list(scripts.walk_revisions()))
    ]


def read(path: Path, *, merging: bool = False) -> Lines:
    """The lock's lines; CommandError, one line, when git left a conflict in it (unless
    `merging`: then both sides' lines) or a line is not a revision and a hash."""
    lines: Lines = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith(_CONFLICT_MARKERS):
            if merging:
                continue
            raise CommandError(
                f"{path.name} has git's conflict markers: two branches each added a "
                f'revision. `{PROGRAM} db merge heads -m "Join the branches"` joins '
                "them and resolves it."
            )
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 2:
            raise CommandError(
                f"{path.name}, line {number}, is not a revision and a hash: {LOCK} "
                "writes it again."
            )
        lines.append((fields[0], fields[1]))
    return lines


def write(path: Path, lines: Lines) -> None:
    path.write_text(HEADER + "".join(f"{rev} {sha}\n" for rev, sha in lines))


def relock(scripts: ScriptDirectory) -> Path:
    """`db lock`: the lock, written again from the files as they are."""
    path = lock_path(scripts)
    write(path, in_order(scripts))
    return path


def add_new(scripts: ScriptDirectory) -> None:
    """Add a line at the end for each revision the lock lacks (the one just written),
    leaving every other line as it is; both sides' lines of a git conflict stay (the
    merge revision that joins them is the one written)."""
    path = lock_path(scripts)
    lines = read(path, merging=True) if path.exists() else []
    known = {revision for revision, _ in lines}
    write(path, lines + [line for line in in_order(scripts) if line[0] not in known])


def after_squash(scripts: ScriptDirectory, removed: set[str], squashed: str) -> None:
    """The lock once `db squash` replaced `removed` with `squashed`, a new file with the
    id of the last one it replaced: their lines go, its line takes the new hash."""
    path = lock_path(scripts)
    now = dict(in_order(scripts))
    lines = read(path) if path.exists() else []
    kept = [
        (revision, now[squashed] if revision == squashed else sha)
        for revision, sha in lines
        if revision not in removed
    ]
    if squashed not in dict(kept):
        kept.insert(0, (squashed, now[squashed]))
    write(path, kept)


def problems(scripts: ScriptDirectory) -> list[str]:
    """What is wrong between versions.lock and versions/: a line each."""
    path = lock_path(scripts)
    if not path.exists():
        return [f"There is no {LOCK_FILE} beside versions/: {LOCK} writes it."]
    locked = read(path)
    # Base first, as the lock lists them.
    files = {s.revision: s for s in reversed(list(scripts.walk_revisions()))}
    found = []
    seen: set[str] = set()
    for revision, sha in locked:
        script = files.get(revision)
        if script is None:
            found.append(
                f"Revision {revision} is in {LOCK_FILE}, but no file in versions/ has "
                f"it: restore its file from git; if it was never released, {LOCK} "
                "forgets it."
            )
            continue
        name = Path(script.path).name
        if revision_hashes.sha256(Path(script.path).read_bytes()) != sha:
            found.append(
                f"Revision {revision} ({name}) was edited after it was locked: if a "
                "database applied it, put it back (git checkout) and make the change "
                f"in a new revision; if it was never released, {LOCK} records it as "
                "it is."
            )
        parents = set(to_tuple(script.down_revision, default=()))
        if not parents <= seen:
            found.append(
                f"{LOCK_FILE} lists revision {revision} before "
                f"{', '.join(sorted(parents - seen))}, which it follows: {LOCK} "
                "writes it again in order."
            )
        seen.add(revision)
    for revision, script in files.items():
        if revision not in dict(locked):
            found.append(
                f"Revision {revision} ({Path(script.path).name}) is not in "
                f"{LOCK_FILE}: {LOCK} adds it."
            )
    return found


def refuse_mismatch(scripts: ScriptDirectory) -> None:
    found = problems(scripts)
    if found:
        raise CommandError("\n".join(found))


def main(path: str) -> None:
    """Alembic's post-write hook (alembic.ini): lock the revision file just written."""
    from .upgrade import alembic_config

    del path  # every revision the lock lacks is added; the one written is one of them
    try:
        add_new(ScriptDirectory.from_config(alembic_config()))
    except CommandError as error:
        print(f"{LOCK_FILE} not updated: {error}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
