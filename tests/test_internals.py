"""The private names of Alembic and SQLAlchemy the machinery uses are the README's list:
no more, and each still there in the releases the rendered projects install (the newest
their pyproject.toml allows)."""

import ast
import json
import re
import subprocess

from conftest import TEMPLATE

PACKAGE = TEMPLATE / "template/{{ program_name }}"
LIBRARIES = ("alembic", "sqlalchemy")


def listed() -> set[str]:
    """The names in the first column of the README's table of internals."""
    readme = (TEMPLATE / "README.md").read_text()
    section = readme[readme.index("### Alembic's and SQLAlchemy's internals") :]
    table = section[section.index("| Internal |") :].split("\n\n")[0]
    names = set()
    for row in table.splitlines()[2:]:
        names |= set(re.findall(r"`([\w.]+)`", row.split(" | ")[0]))
    return names


def own_names(trees: list[ast.Module]) -> set[str]:
    """Every name the template's own code defines: functions, classes, variables and
    attributes it assigns."""
    own = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and getattr(node.value, "id", None) == "self"
            ):
                own.add(node.attr)
    return own


def private_names_used() -> set[str]:
    """The private names of Alembic and SQLAlchemy the machinery uses: imported, read as
    an attribute, or named to getattr()."""
    trees = [ast.parse(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))]
    own = own_names(trees)
    used = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] in LIBRARIES:
                    used |= {a.name for a in node.names if a.name.startswith("_")}
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "getattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                used.add(node.args[1].value)
    return {
        name
        for name in used
        if isinstance(name, str)
        and re.fullmatch(r"_[a-z]\w*", name)
        and name not in own
        and name != "_mapping"  # Row._mapping: public, documented, despite its name
    }


# An attribute that instances set in __init__ is found in the source of its class, or of
# a class it derives from.
RESOLVE = """
import importlib, inspect, json, re, sys
missing = []
for dotted in json.loads(sys.argv[1]):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        break
    for part in parts[cut:]:
        if hasattr(found, part):
            found = getattr(found, part)
            continue
        classes = found.__mro__[:-1] if inspect.isclass(found) else ()
        assigned = re.compile(rf"self\\.{part}\\b\\s*[:=]")
        if not any(assigned.search(inspect.getsource(c)) for c in classes):
            missing.append(dotted)
        break
print(json.dumps(missing))
"""


def test_the_readme_lists_every_private_name_the_machinery_uses():
    names = listed()
    last_parts = {name.rsplit(".", 1)[-1] for name in names}

    used = private_names_used()

    assert used - last_parts == set(), "used, not in the README's table"
    assert {n for n in last_parts if n.startswith("_")} - used == set(), (
        "in the README's table, no longer used"
    )


def test_every_listed_internal_is_in_the_installed_releases(venv):
    dotted = sorted(name for name in listed() if "." in name)

    result = subprocess.run(
        [str(venv / "bin/python"), "-c", RESOLVE, json.dumps(dotted)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert json.loads(result.stdout) == []
    assert len(dotted) >= 15
