"""Rendering: what `copier copy` writes for each set of answers, and what it refuses."""

import re
import shutil
import subprocess

import pytest
import tomllib
import yaml
from conftest import TEMPLATE, TOOLS, VARIANTS
from packaging.requirements import Requirement

BAD_NAMES = {
    "2fast": "'2fast' is not a valid package name",
    "my-app": "'my-app' is not a valid package name",
    "My App": "'My App' is not a valid package name",
    "A-Very-Long-Name-For-A-Program": "'A-Very-Long-Name-...' is not a valid package name",
    "class": "'class' is a Python keyword",
    "multiprocessing": "'multiprocessing' would shadow a Python module",
    "alembic": "'alembic' would shadow a dependency",
    "alembic_postgresql_enum": "'alembic_postgresq...' would shadow a dependency",
    "aiosqlite": "'aiosqlite' would shadow a dependency",
    "pytest_asyncio": "'pytest_asyncio' would shadow a dependency",
    "tests": "'tests' would shadow the project's tests",
    "": "Enter a package name, for example: myapp",
}


CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def files(root):
    """The files copier wrote (other tests may run the project and leave caches)."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not CACHES & set(path.relative_to(root).parts)
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_template_noise_is_left(rendered, variant):
    root, _ = rendered[variant]

    leftovers = [
        str(path.relative_to(root))
        for path in files(root)
        # GitHub's own expressions, ${{ ... }}, are the workflow's, not leftovers.
        if path.suffix == ".jinja" or re.search(r"(?<!\$)\{\{|\{%", path.read_text())
    ]

    assert leftovers == []


def test_defaults_give_the_example_project(rendered):
    root, answers = rendered["default"]
    versions = sorted(p.name for p in (root / "myapp/migrations/versions").glob("*.py"))

    assert answers["program_name"] == "myapp"
    assert answers["database_url_env"] == "MYAPP_DATABASE_URL"
    assert (
        'DATABASE_URL_ENV = "MYAPP_DATABASE_URL"'
        in (root / "myapp/db/names.py").read_text()
    )
    assert "class Account(Base)" in (root / "myapp/models.py").read_text()
    assert versions == [
        "2026_11_25_1200-3f1a9c2b7d10_create_account_table.py",
        "2026_11_25_1201-8c4e2d6a1b57_seed_example_accounts.py",
    ]
    assert (root / "tests/test_seed.py").is_file()
    answers_file = (root / ".copier-answers.yml").read_text()
    assert "_commit:" in answers_file and "_src_path:" in answers_file


def test_without_example_data_the_history_starts_with_an_empty_revision(rendered):
    root, _ = rendered["bare"]
    models = (root / "ledger/models.py").read_text()

    assert "class Base(DeclarativeBase)" in models
    assert "Account" not in models
    assert [p.name for p in (root / "ledger/migrations/versions").glob("*.py")] == [
        "2026_11_25_1200-5e0c7a1d9b42_start_the_migration_history.py"
    ]
    assert not (root / "tests/test_seed.py").exists()


def test_custom_variable_name_is_used_everywhere(rendered):
    root, _ = rendered["custom_env"]

    names = (root / "tracker/db/names.py").read_text()

    assert 'DATABASE_URL_ENV = "TRACKER_DB"' in names
    assert "TRACKER_DB" in (root / "README.md").read_text()
    assert "TRACKER_DATABASE_URL" not in names


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_program_names_are_refused(copie, name):
    result = copie.copy(extra_answers={"program_name": name})

    assert result.exit_code != 0
    # Whole, and short enough for one line of an 80-column terminal.
    assert str(result.exception).endswith(BAD_NAMES[name])
    assert len(BAD_NAMES[name]) < 60


def test_every_dependency_is_a_name_the_question_refuses(rendered):
    """One list in copier.yml, and every name pyproject.toml installs is on it."""
    root, _ = rendered["default"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    requirements = [
        *pyproject["project"]["dependencies"],
        *(
            r
            for extra in pyproject["project"]["optional-dependencies"].values()
            for r in extra
        ),
        *(
            r
            for group in pyproject.get("dependency-groups", {}).values()
            for r in group
        ),
        *pyproject["build-system"]["requires"],
    ]
    installed = {
        Requirement(r).name.lower().replace("-", "_") for r in requirements
        if isinstance(r, str)
    }  # fmt: skip
    validator = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
    listed = re.search(
        r'set dependencies = \(\s*"([^"]*)"', validator["program_name"]["validator"]
    )

    assert listed, "copier.yml's program_name validator has no dependencies list"
    assert installed - set(listed[1].split()) == set()
    # An extra that names the project itself sends pip to PyPI for a project of that
    # name whenever this one cannot install (a Python it does not support): it hung.
    assert "myapp" not in installed


def copier(*args, cwd):
    """The real copier command, as a user types it: never with --trust."""
    return subprocess.run(
        [str(TOOLS / "copier"), *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_real_copier_renders_without_trust(tmp_path):
    result = copier(
        "copy", "--defaults", "--vcs-ref=HEAD", str(TEMPLATE), "app", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "app/myapp/migrations/env.py").is_file()
    assert (tmp_path / "app/alembic.ini").is_file()
    assert "alembic upgrade head" in result.stdout + result.stderr  # the next steps
    said = result.stdout + result.stderr
    assert "python3.10 -m venv .venv" in said  # the answer's
    assert "uv sync --python 3.10" in said
    # The branch CI runs on, and the hooks, from the first commit on.
    assert "git init -b main" in said
    assert "uv run pre-commit install" in said and "pre-commit install\n" in said


def test_real_copier_refuses_a_bad_name_and_writes_nothing(tmp_path):
    result = copier(
        "copy", "--defaults", "--vcs-ref=HEAD", "--data=program_name=my-app",
        str(TEMPLATE), "app", cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode != 0
    assert (
        "'my-app' is not a valid package name" in result.stderr.strip().splitlines()[-1]
    )
    assert not (tmp_path / "app").exists()


@pytest.mark.parametrize("name", ["myapp_DATABASE_URL", "db_url", "_DB"])
def test_any_valid_variable_name_is_accepted(copie, name):
    result = copie.copy(extra_answers={"database_url_env": name})

    assert result.exit_code == 0, result.exception
    db_py = (result.project_dir / "myapp/db/names.py").read_text()
    assert f'DATABASE_URL_ENV = "{name}"' in db_py


@pytest.mark.parametrize(
    ("name", "shown"),
    [("1DB", "1DB"), ("MY-URL", "MY-URL"), ("DB URL", "DB URL"), ("", ""),
     ("THE-DATABASE-URL-OF-MY-APP", "THE-DATABASE-URL-...")],
)  # fmt: skip
def test_invalid_variable_names_are_refused(copie, name, shown):
    result = copie.copy(extra_answers={"database_url_env": name})

    assert result.exit_code != 0
    assert str(result.exception).endswith(f"'{shown}' is not a usable variable name")
    assert len(f"'{shown}' is not a usable variable name") < 60


def test_git_ignores_databases_and_their_backups(rendered, tmp_path):
    root, _ = rendered["default"]
    project = tmp_path / "project"
    shutil.copytree(root, project)
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True)
    data = [
        "main.db",
        "main.db-wal",
        "main.db.8c4e2d6a1b57.20261125T120000000000Z.bak",
        "main.db.8c4e2d6a1b57.20261125T120000000000Z.bak.partial",
        "local.sqlite",
        "local.sqlite3",
    ]
    for name in [*data, "notes.txt"]:
        (project / name).write_text("x")

    ignored = subprocess.run(
        ["git", "check-ignore", *data, "notes.txt"],
        cwd=project, capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip

    assert ignored == data


def test_the_machinery_is_plain_python_linted_as_it_stands():
    """Only db/names.py depends on the answers; the rest of db/ is the same in every
    project, so the template repository lints it as it is."""
    package = TEMPLATE / "template/{{ program_name }}"
    machinery = [*(package / "db").rglob("*"), package / "__main__.py"]
    rendered = sorted(
        str(path.relative_to(package)) for path in machinery if path.suffix == ".jinja"
    )

    lint = subprocess.run(
        [str(TOOLS / "ruff"), "check", "--no-cache", str(package / "db"),
         str(package / "__main__.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert rendered == ["db/names.py.jinja"]
    assert lint.returncode == 0, lint.stdout


def tree_paths(readme: str) -> set[str]:
    """The files and folders the README's tree of a project names, as paths."""
    block = readme[readme.index("## What you get") :]
    block = block[block.index("```\n") + 4 :]
    block = block[: block.index("```")]
    paths, parents = set(), []
    for line in block.splitlines():
        found = re.match(r"^([│ ]*)(?:├──|└──) (\S+)", line)
        if not found:
            continue
        depth = len(found[1]) // 4
        name = found[2]
        parents[depth:] = [name.rstrip("/")]
        paths.add("/".join(parents))
    return paths


def test_the_readme_tree_names_every_module_of_a_render(rendered):
    root, _ = rendered["default"]
    named = tree_paths((TEMPLATE / "README.md").read_text())
    modules = {
        str(path.relative_to(root))
        for path in files(root)
        if path.suffix == ".py"
        and path.name != "__init__.py"
        and "versions" not in path.parts
        and "tests" not in path.parts
    }

    assert modules - named == set()
    assert {path for path in named if not (root / path).exists()} == set()


def test_without_example_data_the_readme_has_no_example(rendered):
    root, _ = rendered["bare"]
    readme = (root / "README.md").read_text()

    assert re.findall(r"(?i)account|Ada Lovelace", readme) == []


def test_the_lock_lint_settings_say_what_the_lock_timeout_is(rendered):
    root, answers = rendered["bare"]
    squawk = (root / ".squawk.toml").read_text()
    settings = (root / answers["program_name"] / "db_settings.py").read_text()
    (timeout,) = re.findall(r"^MIGRATION_LOCK_TIMEOUT = (.+)$", settings, re.MULTILINE)

    assert "MIGRATION_LOCK_TIMEOUT in\n    # db_settings.py" in squawk
    assert f"{float(timeout):g} s unless you tuned it" in squawk
    assert "failed start" not in squawk


def test_mypy_checks_the_tests_too(rendered):
    root, answers = rendered["bare"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())

    assert pyproject["tool"]["mypy"]["files"] == [answers["program_name"], "tests"]
