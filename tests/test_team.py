"""Team-ready projects: the CI workflow, validated offline and every `run:` step run for
real; the squawk lock lint; offline pre-commit hooks; the rolled-back test sessions."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from conftest import NETWORK, TOOLS, Project, uv
from pg_server import SUPERUSER_PASSWORD
from test_safe_migrations import SEED_HEAD, add_revision

WORKFLOW = ".github/workflows/ci.yml"
# Where the workflow's postgres service listens, as its URLs spell it.
SERVICE = "postgres:postgres@localhost:5432"
UV_CACHE = subprocess.run(
    [str(TOOLS / "uv"), "cache", "dir"], capture_output=True, text=True, check=True
).stdout.strip()


def tool(name: str) -> str:
    return str(TOOLS / name)


def test_the_workflow_validates_offline(rendered):
    root, _ = rendered["default"]
    workflow = root / WORKFLOW

    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         str(workflow)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    audit = subprocess.run(
        [tool("zizmor"), "--offline", str(workflow)],  # every severity
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings to report" in audit.stdout


@pytest.fixture
def workflow_venv(projects, tmp_path):
    """A venv with the project's dependencies already in it, so that the workflow's own
    Install step runs against a warm cache, as on a runner with one."""
    venv = tmp_path / "ci-venv"
    uv("venv", "--quiet", "--seed", "--python", sys.executable, str(venv))
    project = projects["default"].path
    python = str(venv / "bin/python")
    # uv too: the lowest job installs it first, as a runner whose cache has it would.
    uv(
        "pip", "install", "--quiet", "--python", python,
        f"--editable={project}[postgres]", "--group", f"{project}/pyproject.toml:dev",
        "uv",
    )  # fmt: skip
    return venv


def checkout(project: Project, destination) -> Project:
    """A fresh clone of the project, as actions/checkout leaves it."""
    copy = project.copy(destination)
    for command in (
        ["init", "--quiet"],
        ["add", "-A"],
        ["commit", "--quiet", "-m", "ci"],
    ):
        subprocess.run(["git", *command], cwd=copy.path, env=git_env(copy), check=True)
    return copy


def git_env(project: Project) -> dict:
    identity = {"GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@example.com"}
    identity |= {"GIT_COMMITTER_NAME": "CI", "GIT_COMMITTER_EMAIL": "ci@example.com"}
    return project.env(**identity)


def on_the_test_server(value: str, postgres) -> str:
    """A workflow value, with the service's address replaced by the test server's."""
    return value.replace(
        SERVICE, f"postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{postgres.port}"
    )


# Each job's `run:` steps, in order: one test per job, so that the jobs run side by side.
JOBS = {
    "tests": [
        "Install",
        "Lint",
        "Format",
        "Types",
        "Tests on SQLite",
        "Tests on PostgreSQL",
        "The history, up, checked, down and up, on scratch SQLite and PostgreSQL",
    ],
    "lowest": [
        "Install uv",
        "Install the lowest versions",
        "Tests on SQLite",
        "Tests on PostgreSQL",
    ],
    "migrations": [
        "Install",
        "A single head",
        "Upgrade to head",
        "Models and migrations agree",
        "The last release's models on the new schema",
        "Lint the new revisions' PostgreSQL SQL for locks",
    ],
}


def test_the_workflow_has_these_jobs(projects):
    workflow = yaml.safe_load((projects["default"].path / WORKFLOW).read_text())

    assert list(workflow["jobs"]) == list(JOBS)


@pytest.mark.parametrize("name", JOBS)
def test_every_run_step_of_the_workflow_passes(
    projects, postgres, workflow_venv, warm_mypy, tmp_path, name
):
    workflow = yaml.safe_load((projects["default"].path / WORKFLOW).read_text())
    job = workflow["jobs"][name]
    ran = []

    project = checkout(projects["default"], tmp_path / name)
    for service in job.get("services", {}).values():  # a fresh database per job
        database = service["env"]["POSTGRES_DB"]
        postgres.admin(
            f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"
        )
    job_env = {**workflow.get("env", {}), **job.get("env", {})}
    for step in job["steps"]:
        if "run" not in step:
            assert step["uses"].startswith(
                ("actions/checkout@", "actions/setup-python@")
            )
            continue
        # A runner that keeps mypy's cache, as for pip's.
        env = project.env(**{**job_env, **step.get("env", {}), **warm_mypy})
        env = {
            key: on_the_test_server(str(value), postgres) for key, value in env.items()
        }
        # A push with no commit before it: GitHub's expressions give nothing.
        env = {key: re.sub(r"\$\{\{.*?\}\}", "", value) for key, value in env.items()}
        env["PATH"] = f"{workflow_venv / 'bin'}{os.pathsep}{env['PATH']}"
        # uv's cache as this machine has it, as on a runner that keeps one; and only
        # the Pythons installed here.
        env |= NETWORK | {
            "UV_CACHE_DIR": UV_CACHE, "UV_PYTHON_DOWNLOADS": "never",
            "UV_COMPILE_BYTECODE": "1",  # for the lowest job: the tests write none
        }  # fmt: skip
        # What GitHub runs a `run:` step with on Linux.
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=project.path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, (
            f"{name} / {step.get('name')}:\n{result.stdout}\n{result.stderr}"
        )
        ran.append(step["name"])

    assert ran == JOBS[name]
    if name == "migrations":
        assert postgres.query("myapp", "SELECT version_num FROM alembic_version") == [
            (SEED_HEAD,)
        ]


def test_the_single_head_step_says_why_it_fails_and_what_to_run(project):
    """Two branches each added a revision on the same one: the step names the heads and
    the command that joins them, before the upgrade step would fail on them."""
    workflow = yaml.safe_load((project.path / WORKFLOW).read_text())
    (step,) = [
        s
        for s in workflow["jobs"]["migrations"]["steps"]
        if s.get("name") == "A single head"
    ]
    add_revision(project, "branch_a", "pass")
    add_revision(project, "branch_b", "pass")
    # This copy's own package and revisions, not the installed project's.
    script = step["run"].replace("myapp db", "python -m myapp db")

    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=project.path, env=project.env(), capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "branch_a (head)" in said and "branch_b (head)" in said
    assert 'myapp db merge heads -m "Join the branches"' in said


def lint(project: Project, *options: str, since: str | None = None):
    """The lock lint, as the README gives it: squawk on `db sql`'s files."""
    env = project.env(MYAPP_DATABASE_URL="postgresql://localhost/myapp")
    added = ("--since", since) if since else ()
    # python -m: this copy's own package, with its own revisions.
    files = project.run(
        "python", "-m", "myapp", "db", "sql", *added, "--to", "sql", env=env
    ).stdout.split()
    return subprocess.run(
        [str(project.venv / "bin/squawk"), "--reporter", "gcc", *options, *files],
        cwd=project.path, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("upgrade", "rule"),
    [
        (None, None),  # the template's own history
        ('op.create_index("ix_account_name", "account", ["name"])',
         "require-concurrent-index-creation"),
        ('op.add_column("account", sa.Column("email", sa.String(200), nullable=False))',
         "adding-required-field"),
        # What takes no lock is not flagged: a wider VARCHAR, TEXT, an enum value, a
        # SmallInteger in a new table. What rewrites the table still is.
        ("""
         with op.batch_alter_table("account") as batch_op:
             batch_op.alter_column(
                 "name", existing_type=sa.String(100), type_=sa.String(200)
             )
         with op.batch_alter_table("account") as batch_op:
             batch_op.alter_column(
                 "name", existing_type=sa.String(200), type_=sa.Text()
             )
         sa.Enum("cash", name="paid_by").create(op.get_bind())
         op.change_enum_values("paid_by", ["cash"], ["card", "cash"], columns=[])
         op.create_table(
             "fee",
             sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("level", sa.SmallInteger),
         )
         """, None),
        ("""
         with op.batch_alter_table("account") as batch_op:
             batch_op.alter_column(
                 "name", existing_type=sa.String(100), type_=sa.String(50)
             )
         """, "changing-column-type"),
        # The README's way to index a table with rows.
        ('op.create_index_online("ix_account_name", "account", ["name"])', None),
        # A reviewed rename, accepted for the lint alone.
        ("""
         op.squawk_ignore("renaming-column", "no release reads name any more")
         with op.batch_alter_table("account") as batch_op:
             batch_op.alter_column("name", new_column_name="full_name")
         """, None),
        ("""
         with op.batch_alter_table("account") as batch_op:
             batch_op.alter_column("name", new_column_name="full_name")
         """, "renaming-column"),
    ],
    ids=["shipped", "index", "not null", "no lock", "narrowed", "index concurrently",
         "accepted rename", "rename"],
)  # fmt: skip
def test_the_lock_lint(project, upgrade, rule):
    if upgrade:
        add_revision(project, "change", upgrade)

    result = lint(project)

    found = [
        line.split()[2] for line in result.stdout.splitlines() if "warning" in line
    ]
    assert found == ([rule] if rule else []), result.stdout
    assert result.returncode == (1 if rule else 0)


# Everything each exclusion in .squawk.toml is for: a new table of the models' usual
# types, and (in a revision of its own, as autogenerate writes it) the README's index
# on a table with rows, which takes a lock.
EVERY_EXCLUDED = """
op.create_table(
    "event",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime()),
    sa.Column("name", sa.String(20)),
    sa.Column("level", sa.SmallInteger),
)
"""
INDEXED = 'op.create_index_online("ix_account_name", "account", ["name"])'


def test_a_revision_that_mixes_plain_and_online_steps_is_not_robust(project):
    """Run again after its online step died, its plain part would run twice: squawk
    says so, and autogenerate never writes one."""
    add_revision(project, "event", EVERY_EXCLUDED + INDEXED)

    result = lint(project)

    assert "prefer-robust-stmts" in result.stdout
    assert result.returncode == 1


def test_the_lint_reads_only_the_revisions_added_since_the_base(projects, tmp_path):
    """A revision merged once, even one the lint would flag, is not linted again; one
    added since the base is, committed or not."""
    project = checkout(projects["default"], tmp_path)
    add_revision(
        project, "merged", 'op.create_index("ix_account_name", "account", ["name"])'
    )
    for command in (["add", "-A"], ["commit", "--quiet", "-m", "merged"]):
        subprocess.run(
            ["git", *command], cwd=project.path, env=git_env(project), check=True
        )
    add_revision(
        project, "added", 'op.create_index_online("ix_account_x", "account", ["name"])',
        down_revision="merged",
    )  # fmt: skip

    whole = lint(project)
    added = lint(project, since="HEAD")

    assert "require-concurrent-index-creation" in whole.stdout
    assert added.returncode == 0, added.stdout
    linted = [Path(path).name for path in added.args[3:]]
    assert linted == ["added.sql"]


def test_each_lock_lint_exclusion_silences_something(project, tmp_path):
    add_revision(project, "event", EVERY_EXCLUDED)
    add_revision(project, "index", INDEXED, down_revision="event")
    excluded = tomllib.loads((project.path / ".squawk.toml").read_text())
    no_exclusions = tmp_path / "none.toml"
    no_exclusions.write_text("")

    with_them = lint(project)
    without = lint(project, "--config", str(no_exclusions))

    found = {
        line.split()[2] for line in without.stdout.splitlines() if "warning" in line
    }
    assert with_them.returncode == 0, with_them.stdout
    assert found == set(excluded["excluded_rules"])


# pip, or any other download, fails at once: the hooks must not need the network.
NO_NETWORK = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "PIP_NO_INDEX": "1",
}


def pre_commit(project: Project, *args: str, **extra: str):
    """pre-commit, from a shell where the project's venv is not active: not on PATH."""
    env = git_env(project) | NO_NETWORK | {"PRE_COMMIT_HOME": str(project.home / "pc")}
    env["PATH"] = "/usr/bin:/bin"
    env |= extra
    return subprocess.run(
        [str(project.venv / "bin/pre-commit"), *args],
        cwd=project.path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def hooks(result) -> list[tuple[str, str]]:
    """Each hook pre-commit ran, and how it went."""
    return re.findall(r"^(.+?)\.{3,}(Passed|Failed)$", result.stdout, re.MULTILINE)


def test_pre_commit_runs_offline_and_catches_a_model_without_a_revision(
    projects, warm_mypy, tmp_path
):
    project = checkout(projects["default"], tmp_path)
    # Where `uv sync`, or the README's pip way, puts the tools; PATH has no venv (below).
    (project.path / ".venv").symlink_to(project.venv)

    valid = pre_commit(project, "validate-config")
    clean = pre_commit(project, "run", "--all-files", **warm_mypy)
    models = project.path / "myapp/models.py"
    models.write_text(
        models.read_text().replace(
            "    create_date: Mapped[date]\n",
            "    create_date: Mapped[date]\n    email: Mapped[str | None]\n",
        )
    )
    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)
    drifted = pre_commit(project, "run", "--all-files", **warm_mypy)

    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert hooks(clean) == [
        ("ruff check", "Passed"),
        ("ruff format", "Passed"),
        ("mypy", "Passed"),
        ("models and migrations agree", "Passed"),
    ]
    assert drifted.returncode == 1
    assert ("models and migrations agree", "Failed") in hooks(drifted)
    assert "Detected added column 'account.email'" in drifted.stdout + drifted.stderr


@pytest.mark.parametrize("on", ["sqlite", "postgres"])
def test_a_committed_row_does_not_leak_into_the_next_test(projects, on, request):
    project = projects["default"]
    env = project.env()
    if on == "postgres":
        postgres = request.getfixturevalue("postgres")
        postgres.admin("DROP DATABASE IF EXISTS sessions", "CREATE DATABASE sessions")
        env = project.env(TEST_MYAPP_DATABASE_URL=postgres.url("sessions"))

    result = project.run(
        "python", "-m", "pytest", "-v", "-p", "no:cacheprovider",
        "tests/test_accounts.py", env=env,
    )  # fmt: skip

    passed = [line.split("::")[1].split()[0] for line in result.stdout.splitlines()
              if " PASSED" in line]  # fmt: skip
    assert passed == [
        "test_the_seeded_accounts_are_there",
        "test_a_new_account_is_committed",
        "test_the_test_before_left_nothing_behind",
        "test_a_rollback_in_a_test_undoes_only_what_came_after_the_commit",
        "test_the_async_session_sees_the_same_data",
        "test_the_async_test_before_left_nothing_behind",
    ]
