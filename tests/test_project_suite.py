"""Each rendered project's own checks pass: its test suite, ruff check and ruff format."""

import subprocess

import pytest
import tomllib
import yaml
from conftest import TEMPLATE, VARIANTS
from packaging.requirements import Requirement


@pytest.mark.parametrize("variant", VARIANTS)
def test_project_test_suite_passes(projects, variant):
    project = projects[variant]

    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert " passed" in result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_project_is_ruff_clean(projects, variant):
    project = projects[variant]

    project.run("ruff", "check", "--no-cache", ".")
    project.run("ruff", "format", "--no-cache", "--check", ".")


def test_project_test_suite_passes_twice_on_one_postgres_database(projects, postgres):
    """A team reruns its tests on the same database, which an administrator gave the
    extensions the program needs; the program's role could not create them again."""
    project = projects["default"]
    postgres.admin("CREATE DATABASE project_suite")
    postgres.admin(
        "CREATE EXTENSION citext", "CREATE EXTENSION pg_trgm", database="project_suite"
    )
    env = project.env(TEST_MYAPP_DATABASE_URL=postgres.url("project_suite"))
    command = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")

    runs = [project.run(*command, env=env, check=False) for _ in range(2)]

    for run in runs:
        assert run.returncode == 0, run.stdout
        assert " passed" in run.stdout and "failed" not in run.stdout
    assert (
        runs[0].stdout.splitlines()[-1].split(" in ")[0]
        == (runs[1].stdout.splitlines()[-1].split(" in ")[0])
    )
    assert postgres.query(
        "project_suite", "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"
    ) == [("citext",), ("pg_trgm",)]


def test_the_test_variable_is_named_in_its_errors(projects):
    """The project's tests read TEST_<VAR>, so that is the variable an error names."""
    project = projects["default"]
    url = (
        "postgresql+pg8000://app:secret@127.0.0.1:1/app_test"  # a driver not installed
    )
    env = project.env(TEST_MYAPP_DATABASE_URL=url)

    result = project.run(
        "python", "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
        "tests/test_migrations.py", env=env, check=False,
    )  # fmt: skip

    assert result.returncode != 0
    assert (
        "myapp.db.DatabaseError: TEST_MYAPP_DATABASE_URL needs the Python package "
        "'pg8000', which is not installed." in result.stdout
    )


PYTHON_VERSIONS = yaml.safe_load((TEMPLATE / "copier.yml").read_text())[
    "python_version"
]["choices"]


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS)
def test_every_accepted_python_version_is_clean_with_the_ruff_dev_installs(
    copie, projects, python_version
):
    """ruff's rules follow the answer (target-version), so each answer is its own lint."""
    result = copie.copy(extra_answers={"python_version": python_version})
    assert result.exit_code == 0, result.exception
    root = result.project_dir
    venv = projects["default"].venv
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    (bound,) = [
        d
        for d in pyproject["project"]["optional-dependencies"]["dev"]
        if d.startswith("ruff")
    ]
    installed = subprocess.run(
        [str(venv / "bin/ruff"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    workflow = yaml.safe_load((root / ".github/workflows/ci.yml").read_text())

    for command in (["check"], ["format", "--check"]):
        lint = subprocess.run(
            [str(venv / "bin/ruff"), *command, "--no-cache", "."],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert lint.returncode == 0, lint.stdout + lint.stderr
    assert Requirement(bound).specifier.contains(installed)
    assert Requirement(bound).specifier.contains("0.99") is False  # bounded above
    matrix = workflow["jobs"]["tests"]["strategy"]["matrix"]["python-version"]
    assert matrix == PYTHON_VERSIONS[PYTHON_VERSIONS.index(python_version) :]
