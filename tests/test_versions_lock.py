"""versions.lock, and revisions edited after release: `db check` refuses them, start-up
names them, and two branches that each add a revision conflict in git."""

import subprocess

import pytest
from conftest import add_invoice_model
from test_safe_migrations import MIGRATE, SEED_HEAD, add_revision, url_env
from test_team import checkout, git_env

LOCK = "myapp/migrations/versions.lock"
SEED_FILE = f"2026_11_25_1201-{SEED_HEAD}_seed_example_accounts.py"
FIRST = "myapp/migrations/versions/2026_11_25_1200-3f1a9c2b7d10_create_account_table.py"


def db(project, *args: str, env=None):
    return project.run("python", "-m", "myapp", "db", *args, env=env, check=False)


def dev_env(project) -> dict:
    return url_env(project, f"sqlite:///{project.path}/dev.db")


def edit(project, path: str) -> None:
    with open(project.path / path, "a") as file:
        file.write("# edited after release\n")


def locked(project) -> list[str]:
    lines = (project.path / LOCK).read_text().splitlines()
    return [line.split()[0] for line in lines if not line.startswith("#")]


@pytest.mark.parametrize("variant", ["default", "bare"])
def test_the_rendered_lock_is_what_db_lock_writes(projects, tmp_path, variant):
    project = projects[variant].copy(tmp_path)
    program = project.program
    rendered = (project.path / program / "migrations/versions.lock").read_text()

    project.run("python", "-m", program, "db", "lock")

    assert (project.path / program / "migrations/versions.lock").read_text() == rendered


def test_a_revision_written_is_locked_and_an_edited_one_fails_db_check(project):
    env = dev_env(project)
    add_invoice_model(project.path / "myapp/models.py")
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "revision", "--autogenerate", "-m", "invoices", env=env)
    (written,) = (project.path / "myapp/migrations/versions").glob("*_invoices.py")
    new = written.name.split("-")[1].split("_")[0]
    assert locked(project) == ["3f1a9c2b7d10", SEED_HEAD, new]
    project.run("alembic", "upgrade", "head", env=env)
    assert db(project, "check", env=env).returncode == 0

    edit(project, FIRST)
    refused = db(project, "check", env=env)

    assert refused.returncode != 0
    assert refused.stdout.startswith(
        "FAILED: Revision 3f1a9c2b7d10 (2026_11_25_1200-3f1a9c2b7d10_create_account_"
        "table.py) was edited after it was locked: if a database applied it, put it back"
    )
    assert len(refused.stdout.strip().splitlines()) == 1
    # The pre-commit hook's check too, before it builds anything.
    hook = db(project, "check", "--scratch", env=env)
    assert hook.returncode != 0 and hook.stdout == refused.stdout
    # Not released: `db lock` records it as it is.
    project.run("python", "-m", "myapp", "db", "lock")
    assert db(project, "check", env=env).returncode == 0


def test_a_revision_file_the_lock_lacks_or_lost_fails_db_check(project):
    env = dev_env(project)
    add_revision(project, "b0b0b0b0b0b0", "pass")  # by hand
    lock = (project.path / LOCK).read_text()
    (project.path / LOCK).write_text(lock.replace(f"{SEED_HEAD} ", "d0d0d0d0d0d0 "))

    result = db(project, "check", env=env)

    assert result.returncode != 0
    said = result.stdout.removeprefix("FAILED: ").splitlines()
    assert [line.split(":")[0] for line in said] == [
        "Revision d0d0d0d0d0d0 is in versions.lock, but no file in versions/ has it",
        f"Revision {SEED_HEAD} ({SEED_FILE}) is not in versions.lock",
        "Revision b0b0b0b0b0b0 (b0b0b0b0b0b0.py) is not in versions.lock",
    ]


@pytest.mark.parametrize("command", ["migrate", "db upgrade"])
def test_a_revision_edited_after_it_was_applied_is_named_at_start(
    project, database, command
):
    env = url_env(project, database.url)
    project.run("alembic", "upgrade", "head", env=env)
    edit(project, FIRST)

    if command == "migrate":  # at head: migrate() returns without Alembic
        started = project.run("python", "-c", MIGRATE, env=env)
    else:
        started = project.run("python", "-m", "myapp", "db", "upgrade", env=env)

    said = "Revision 3f1a9c2b7d10 differs from the file this database applied"
    warnings = [line for line in started.stderr.splitlines() if said in line]
    assert len(warnings) == 1, started.stderr
    drift = db(project, "drift", env=env)
    assert "revision 3f1a9c2b7d10: its file differs" in drift.stdout


def test_two_branches_that_each_add_a_revision_conflict_in_git_on_the_lock(
    projects, tmp_path
):
    project = checkout(projects["default"], tmp_path)
    env = git_env(project)

    def git(*args: str, check: bool = True):
        return subprocess.run(
            ["git", *args], cwd=project.path, env=env, capture_output=True, text=True,
            check=check,
        )  # fmt: skip

    git("branch", "-M", "main")
    for branch in ("one", "two"):
        git("switch", "--quiet", "-c", branch, "main")
        project.run("alembic", "revision", "-m", f"branch {branch}", env=env)
        git("add", "-A")
        git("commit", "--quiet", "-m", branch)
    added = {b: git("show", f"{b}:{LOCK}").stdout.split()[-2] for b in ("one", "two")}
    git("switch", "--quiet", "main")
    git("merge", "--quiet", "one")

    merged = git("merge", "two", check=False)

    assert merged.returncode != 0
    assert f"CONFLICT (content): Merge conflict in {LOCK}" in merged.stdout
    conflicted = db(project, "check", env=dev_env(project))
    assert "versions.lock has git's conflict markers" in conflicted.stdout
    # As its header says: the merge revision resolves it, with both sides' lines.
    project.run("python", "-m", "myapp", "db", "merge", "heads", "-m", "join", env=env)
    (one, two, join) = locked(project)[2:]
    assert (one, two) == (added["one"], added["two"]) and join not in added.values()
    project.run("alembic", "upgrade", "heads", env=dev_env(project))
    assert db(project, "check", env=dev_env(project)).returncode == 0
