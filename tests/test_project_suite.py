"""Each rendered project's own checks pass: its test suite, ruff check and ruff format."""

import pytest
from conftest import VARIANTS


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


def test_project_test_suite_passes_on_postgres(projects, postgres):
    project = projects["default"]
    postgres.admin("CREATE DATABASE project_suite")
    env = project.env(TEST_MYAPP_DATABASE_URL=postgres.url("project_suite"))

    result = project.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", env=env
    )

    assert " passed" in result.stdout
    # The migration tests really ran there: they leave Alembic's table behind.
    assert postgres.query(
        "project_suite", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    ) == [("account",), ("alembic_version",)]


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
