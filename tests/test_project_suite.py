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
