"""Releases: the changelog says what each one brings and what it asks of a project."""

import re

from conftest import TEMPLATE

CHANGELOG = (TEMPLATE / "CHANGELOG.md").read_text()


def releases() -> dict[str, list[str]]:
    """Each section of CHANGELOG.md, by heading, and its entries (bullets or paragraphs)."""
    sections = re.split(r"^## ", CHANGELOG, flags=re.MULTILINE)[1:]
    found = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        found[heading.strip()] = [
            entry.strip() for entry in re.split(r"\n(?=- )|\n\n", body) if entry.strip()
        ]
    return found


def test_each_release_says_what_it_brings_and_what_to_do():
    found = releases()

    first, *versions = found
    assert first == "Unreleased"
    assert versions and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions)
    for heading, entries in found.items():
        assert entries, heading
        assert all("Action:" in entry for entry in entries), heading


def test_the_readme_says_how_a_release_is_cut_and_what_an_update_costs():
    readme = (TEMPLATE / "README.md").read_text()

    assert "## Releasing" in readme
    assert "git tag -a vX.Y.Z" in readme
    assert "**What an update costs.**" in readme
