"""`copier update`: template fixes arrive, and the user's work stays as it was.

Tags don't land in this repository, so the tests clone the template into a temp dir,
tag v1.0.0 there (the README's release tags), change the template as a later release
would, and tag v1.1.0.
"""

import filecmp
import os
import shutil
import subprocess
from hashlib import sha256
from pathlib import Path

import pytest
from conftest import (
    TEMPLATE,
    TOOLS,
    Project,
    add_invoice_model,
    once_per_run,
    sqlite_query,
)

ENV_PY = "template/{{ program_name }}/migrations/env.py.jinja"
MODELS_PY = "template/{{ program_name }}/models.py.jinja"
# The user's files that the template starts: an update neither rewrites nor merges them.
CLI_PY = "template/{{ program_name }}/cli.py.jinja"
DB_SETTINGS_PY = "template/{{ program_name }}/db_settings.py.jinja"
# The releases the tests cut, as the README says releases are cut: vX.Y.Z tags.
V1, V2 = "v1.0.0", "v1.1.0"
V2_FIX = "# Fixed in v2: a template change that must reach every project."
V2_MODELS = "# Changed in v2: never reaches a project that already has models.py."
V2_USERS = "# Changed in v2: never reaches a project that already has this file."
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "user@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "user@example.com",
}


def run(*args, cwd, check=True):
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{args} exited {result.returncode}\n{result.stdout}{result.stderr}"
        )
    return result


def git(*args, cwd):
    return run("git", *args, cwd=cwd).stdout


def copier(*args, cwd):
    """The real copier command, never with --trust."""
    return run(TOOLS / "copier", *args, cwd=cwd)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


OLD_DB_PY = "template/{{ program_name }}/db.py.jinja"
WORKFLOW = "template/.github/workflows/ci.yml.jinja"


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A clone of this template, made once per run: v1 is this checkout (uncommitted
    work included), v2 a later release; single-module and before-team are older
    versions from this repository's history."""
    return Path(once_per_run(tmp_path_factory, "template", clone_and_tag))


def clone_and_tag(folder: Path) -> str:
    clone = folder / "template"
    run("git", "clone", "--quiet", TEMPLATE, clone, cwd=TEMPLATE)
    # The last version with db.py beside models.py, and the last before the CI files.
    deleted_in = git("log", "-1", "--format=%H", "--", OLD_DB_PY, cwd=clone).strip()
    git("tag", "single-module", f"{deleted_in}^", cwd=clone)
    added_in = git("log", "--diff-filter=A", "--format=%H", "--", WORKFLOW, cwd=clone)
    git("tag", "before-team", f"{added_in.split()[-1]}^", cwd=clone)
    files = git(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=TEMPLATE
    )
    for name in filter(None, files.split("\0")):
        if (TEMPLATE / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, clone / name)
    git("add", "-A", cwd=clone)
    git("commit", "--quiet", "--allow-empty", "-m", "v1", cwd=clone)
    git("tag", V1, cwd=clone)
    edit(
        clone / ENV_PY,
        "config = context.config\n",
        f"{V2_FIX}\nconfig = context.config\n",
    )
    edit(clone / MODELS_PY, "\n\nclass Base(", f"\n\n{V2_MODELS}\nclass Base(")
    for users in (CLI_PY, DB_SETTINGS_PY):
        with (clone / users).open("a") as file:
            file.write(f"\n{V2_USERS}\n")
    git("commit", "--quiet", "-am", "v2", cwd=clone)
    git("tag", V2, cwd=clone)
    return str(clone)


def render(template: Path, destination: Path, ref: str) -> Path:
    copier(
        "copy",
        "--defaults",
        f"--vcs-ref={ref}",
        template,
        destination,
        cwd=destination.parent,
    )
    return destination


def start_project(template: Path, tmp_path: Path, ref: str = "v1.0.0") -> Path:
    """Render at `ref` and commit, as the user's first step."""
    project = render(template, tmp_path / "myapp", ref)
    git("init", "--quiet", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "Start from the template", cwd=project)
    return project


def do_the_users_work(project: Path, alembic: Path, env: dict) -> list[str]:
    """A model and its migration, a README section, a line in the command line and a
    setting changed (files the template started and the user owns) and a file of their
    own, committed. Returns the files that are the user's alone."""
    subprocess.run([alembic, "upgrade", "head"], cwd=project, env=env, check=True,
                   capture_output=True)  # fmt: skip
    add_invoice_model(project / "myapp/models.py")
    subprocess.run(
        [alembic, "revision", "--autogenerate", "-m", "add invoice"],
        cwd=project, env=env, check=True, capture_output=True,
    )  # fmt: skip
    edit(
        project / "README.md",
        "## Set up",
        "## Our team's notes\n\nShip it.\n\n## Set up",
    )
    with (project / "myapp/cli.py").open("a") as cli_py:
        cli_py.write('\n\nAPP_NAME = "invoices"\n')
    ours = ["myapp/invoices.py", "myapp/cli.py"]
    if (project / "myapp/db_settings.py").exists():  # not before it was the user's
        edit(project / "myapp/db_settings.py", "TIMEOUT = 30.0", "TIMEOUT = 5.0")
        ours.append("myapp/db_settings.py")
    (project / "myapp/invoices.py").write_text('"""Invoicing, our own code."""\n')
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "Add invoices", cwd=project)
    return user_files(project) + ours


def users_edits_are_there(project: Path) -> bool:
    return (
        "## Our team's notes" in (project / "README.md").read_text()
        and 'APP_NAME = "invoices"' in (project / "myapp/cli.py").read_text()
    )


def update(project: Path, ref: str | None = None):
    """`copier update --defaults`, as the README gives it: to the newest release, or
    to `ref`."""
    pinned = [f"--vcs-ref={ref}"] if ref else []
    return copier("update", "--defaults", *pinned, cwd=project)


def snapshot(project: Path, names) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in names}


def user_files(project: Path) -> list[str]:
    versions = project / "myapp/migrations/versions"
    return ["myapp/models.py"] + [
        str(p.relative_to(project)) for p in sorted(versions.glob("*.py"))
    ]


def leftovers(project: Path) -> list[str]:
    """Conflict markers and .rej files anywhere in the project."""
    found = [str(p) for p in project.rglob("*.rej")]
    for path in project.rglob("*"):
        if ".git" in path.parts or ".venv" in path.parts or not path.is_file():
            continue
        lines = path.read_text(errors="replace").splitlines()
        if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lines):
            found.append(str(path))
    return found


def test_a_template_fix_arrives_and_the_users_work_stays(template, tmp_path, projects):
    project = start_project(template, tmp_path)
    env = {"MYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    alembic = projects["default"].venv / "bin/alembic"
    run_env = {**os.environ, **env}
    ours = do_the_users_work(project, alembic, run_env)
    before = snapshot(project, ours)

    update(project)

    assert V2_FIX in (project / "myapp/migrations/env.py").read_text()
    assert snapshot(project, ours) == before
    assert len([name for name in ours if "add_invoice" in name]) == 1
    assert users_edits_are_there(project)
    assert V2_MODELS not in (project / "myapp/models.py").read_text()
    assert V2_USERS not in (project / "myapp/cli.py").read_text()
    assert V2_USERS not in (project / "myapp/db_settings.py").read_text()
    assert leftovers(project) == []
    assert f"_commit: {V2}" in (project / ".copier-answers.yml").read_text()
    fresh = {**run_env, "MYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    subprocess.run([alembic, "upgrade", "head"], cwd=project, env=fresh, check=True)


def test_a_deleted_example_stays_deleted(template, tmp_path):
    project = start_project(template, tmp_path)
    (seed,) = (project / "myapp/migrations/versions").glob("*_seed_example_accounts.py")
    seed.unlink()
    (project / "tests/test_seed.py").unlink()
    models = project / "myapp/models.py"
    models.write_text(models.read_text().split("\n\nclass Account(Base):")[0] + "\n")
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "We don't want the example", cwd=project)
    before = models.read_bytes()

    update(project)

    assert not seed.exists()
    assert not (project / "tests/test_seed.py").exists()
    assert models.read_bytes() == before
    assert leftovers(project) == []


def test_updating_to_the_same_version_changes_nothing(template, tmp_path):
    project = start_project(template, tmp_path)

    update(project, V1)

    assert git("status", "--porcelain", cwd=project) == ""


def differing_files(left: Path, right: Path) -> set[str]:
    """Files that differ or exist on one side only, ignoring .git."""
    different = set()

    def walk(comparison: filecmp.dircmp, prefix: str) -> None:
        for name in (
            comparison.diff_files + comparison.left_only + comparison.right_only
        ):
            if name != ".git":
                different.add(prefix + name)
        for name, sub in comparison.subdirs.items():
            if name != ".git":
                walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right), "")
    return different


def test_an_updated_project_matches_a_fresh_copy_but_for_the_users_files(
    template, tmp_path
):
    updated = start_project(template, tmp_path)
    update(updated)
    (tmp_path / "fresh").mkdir()
    fresh = render(template, tmp_path / "fresh/myapp", V2)

    assert differing_files(updated, fresh) == {
        "myapp/models.py", "myapp/cli.py", "myapp/db_settings.py"
    }  # fmt: skip


RELEASED = Path(__file__).with_name("released_revisions.sha256")


def test_released_revision_files_never_change():
    """Migration history is immutable: projects already ran these files as they are.

    Release a new revision file by adding its line: `sha256sum` it, run in template/.
    """
    released = {}
    for line in RELEASED.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        released[name] = digest
    versions = TEMPLATE / "template/{{ program_name }}/migrations/versions"
    current = {
        str(path.relative_to(TEMPLATE / "template")): sha256(
            path.read_bytes()
        ).hexdigest()
        for path in versions.iterdir()
    }

    assert current == released


def test_a_conflict_exits_0_shows_as_uu_and_the_give_up_recipe_works(
    template, tmp_path
):
    """What the READMEs promise about a conflicting update, run as they say."""
    project = start_project(template, tmp_path)
    env_py = project / "myapp/migrations/env.py"
    edit(env_py, "config = context.config\n", "config = context.config  # ours\n")
    git("commit", "--quiet", "-am", "Our own env.py tweak", cwd=project)
    before = env_py.read_bytes()

    result = update(project)
    status = git("status", "--porcelain", cwd=project)
    conflicted = env_py.read_text()
    run("bash", "-c", "git reset --hard && git clean -fd", cwd=project)

    assert result.returncode == 0
    assert "UU myapp/migrations/env.py" in status.splitlines()
    assert "<<<<<<< before updating" in conflicted and V2_FIX in conflicted
    assert git("status", "--porcelain", cwd=project) == ""
    assert env_py.read_bytes() == before


OLD_MODULES = ["db.py", "revisions.py", "backup.py", "destructive.py"]
USE_THE_PUBLIC_API = """
from sqlalchemy import text
from myapp.db import DatabaseError, get_engine, get_url, migrate

migrate()
with get_engine().connect() as connection:
    print(get_url().database, connection.scalar(text("SELECT count(*) FROM account")))
print(issubclass(DatabaseError, RuntimeError))
"""


def test_an_update_from_the_single_module_layout_brings_the_db_package(
    template, tmp_path, projects
):
    """Projects made before db/ had its machinery beside models.py, in db.py,
    revisions.py, backup.py and destructive.py."""
    project = start_project(template, tmp_path, "single-module")
    before = [name for name in OLD_MODULES if (project / "myapp" / name).is_file()]
    database = tmp_path / "dev.db"
    env = {**os.environ, "MYAPP_DATABASE_URL": f"sqlite:///{database}"}
    venv = projects["default"].venv
    ours = do_the_users_work(project, venv / "bin/alembic", env)
    users_files = snapshot(project, ours)

    update(project, V1)
    used = subprocess.run(
        [venv / "bin/python", "-c", USE_THE_PUBLIC_API],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    # The command line the project had, kept as the user's, runs on the new machinery.
    current = subprocess.run(
        [venv / "bin/python", "-m", "myapp", "db", "current"],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert before == OLD_MODULES
    assert [name for name in OLD_MODULES if (project / "myapp" / name).exists()] == []
    assert (project / "myapp/db/__init__.py").is_file()
    assert users_edits_are_there(project)
    assert snapshot(project, ours) == users_files
    assert leftovers(project) == []
    assert used.stdout.splitlines() == [f"{database} 3", "True"]
    assert (project / "myapp/db_settings.py").is_file()
    assert (current.returncode, current.stdout.split()[-1:]) == (0, ["(head)"]), current


TEAM_FILES = [
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
    ".squawk.toml",
    "tests/test_accounts.py",
]


def test_a_project_from_before_the_team_files_receives_them(
    template, tmp_path, projects
):
    """CI, pre-commit and the test sessions reach a project made before they existed;
    the user's models, history and own files stay as they were."""
    project = start_project(template, tmp_path, "before-team")
    before = [name for name in TEAM_FILES if (project / name).exists()]
    env = {**os.environ, "MYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    ours = do_the_users_work(project, projects["default"].venv / "bin/alembic", env)
    snapshot_before = snapshot(project, ours)

    update(project, V1)

    assert before == []
    assert [name for name in TEAM_FILES if (project / name).is_file()] == TEAM_FILES
    assert snapshot(project, ours) == snapshot_before
    assert users_edits_are_there(project)
    assert leftovers(project) == []


def test_an_update_after_a_squash_brings_back_no_old_revision(
    template, tmp_path, projects
):
    """`db squash` removed the example's revision files; an update never restores a
    file in versions/, and the project still migrates from nothing."""
    project = start_project(template, tmp_path)
    tools = projects["default"]
    (tmp_path / "home").mkdir()
    app = Project(project, tools.answers, tools.venv, tmp_path / "home")
    app.run("python", "-m", "myapp", "db", "squash", "8c4e2d6a1b57")
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "Squash the history", cwd=project)
    versions = project / "myapp/migrations/versions"
    kept = {path.name: path.read_bytes() for path in versions.glob("*.py")}

    update(project)

    assert V2_FIX in (project / "myapp/migrations/env.py").read_text()
    assert {path.name: path.read_bytes() for path in versions.glob("*.py")} == kept
    assert [name for name in kept if "8c4e2d6a1b57_squashed_history" in name] != []
    fresh = tmp_path / "fresh.db"
    app.run(
        "alembic",
        "upgrade",
        "head",
        env=app.env(MYAPP_DATABASE_URL=f"sqlite:///{fresh}"),
    )
    assert sqlite_query(fresh, "SELECT count(*) FROM account") == [(3,)]
