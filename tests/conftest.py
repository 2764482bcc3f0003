"""Shared fixtures: each project is rendered once, and one venv holds them all."""

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import forks
import pytest
from pg_server import PgBouncer, PostgresServer

TEMPLATE = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent  # this run's venv: copier, uv, ruff

# Answer sets rendered once per run. Each gets its own package name, so all of them can
# be installed side by side in one venv.
VARIANTS = {
    "default": {},
    "bare": {"program_name": "ledger", "example_data": False},
    "custom_env": {"program_name": "tracker", "database_url_env": "TRACKER_DB"},
}


# How this machine reaches the package index (its CA bundle, proxies, mirrors): a fact of
# the machine, not of the user, passed to the commands that download what they install.
NETWORK = {
    name: value
    for name, value in os.environ.items()
    if name.upper() in {"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY",
                        "NO_PROXY", "ALL_PROXY"}
    or name.startswith(("PIP_", "UV_INDEX", "UV_EXTRA_INDEX", "UV_FIND_LINKS"))
}  # fmt: skip


# The model a user adds in the tests: a foreign key, a unique and an indexed column, so
# autogenerate has named constraints and an index to write.
INVOICE_MODEL = """

class Invoice(Base):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    note: Mapped[str] = mapped_column(String(20), index=True)
"""


def add_invoice_model(models: Path) -> None:
    text = models.read_text().replace(
        "import MetaData,", "import ForeignKey, MetaData,"
    )
    models.write_text(text + INVOICE_MODEL)


@dataclass
class Project:
    """A rendered project, and how to run its commands as its user would."""

    path: Path
    answers: dict
    venv: Path
    home: Path
    # Python commands run forked (forks.py), or each as a process of its own.
    forked: bool = True

    @property
    def program(self) -> str:
        return self.answers["program_name"]

    @property
    def url_env(self) -> str:
        return self.answers["database_url_env"]

    def env(self, **extra: str) -> dict:
        """A clean environment: a private HOME, this project's venv, no database URL."""
        env = {
            "HOME": str(self.home),
            "PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/bin:/bin",
            "LANG": "C.UTF-8",
            # A test edits a module and runs the next command within the same second,
            # often leaving its size as it was (first -> given): the bytecode an earlier
            # command wrote would pass for current. None is written; the venv's
            # libraries were compiled at install.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(extra)
        return env

    def run(
        self, *args: str, check: bool = True, env: dict | None = None, cwd=None,
        timeout: float | None = None, fresh: bool = False,
    ):  # fmt: skip
        """Run a command from the project's venv (alembic, python, pytest, ruff); a
        Python one in a child of a process that has imported Alembic (forks.py), unless
        `fresh`: for a test of what the command itself imports."""
        env = env if env is not None else self.env()
        cwd = cwd or self.path
        forked = self.forked and not fresh
        result = forks.run(self.venv, list(args), cwd, env, timeout) if forked else None
        if result is None:
            result = subprocess.run(
                [str(self.venv / "bin" / args[0]), *args[1:]],
                check=False, cwd=cwd, env=env, capture_output=True, text=True,
                timeout=timeout,
            )  # fmt: skip
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def copy(self, destination: Path) -> "Project":
        """A private copy to change; alembic's prepend_sys_path makes it import its own code."""
        shutil.copytree(self.path, destination / self.path.name)
        home = destination / "home"
        home.mkdir()
        return Project(destination / self.path.name, self.answers, self.venv, home)


def lock_revisions(project: Project) -> None:
    """Record revision files written by hand in versions.lock, as their author would
    with `db lock` before `db check`."""
    project.run("python", "-m", project.program, "db", "lock")


def without_root_privileges(command):
    """Root writes anywhere: drop the capabilities that let it ignore permissions."""
    if os.geteuid() != 0:
        return command
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]


def uv(*args: str) -> None:
    subprocess.run(
        [str(TOOLS / "uv"), *args],
        check=True,
        # Compiled at install: the commands write no bytecode (Project.env).
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_COMPILE_BYTECODE": "1"},
    )


def once_per_run(tmp_path_factory, name: str, build: Callable[[Path], object]):
    """Build `name` once for the whole run, however many xdist workers share it: the
    first to arrive builds it in a folder of its own, under a lock, and every worker
    reads what it built. `build` returns something JSON can carry."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    done = root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            folder = root / name
            # Left by a build that failed on another worker: fail with its error again,
            # not with FileExistsError.
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(json.dumps(build(folder)))
    return json.loads(done.read_text())


@pytest.fixture(scope="session")
def rendered(copie_session, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Render every variant once per run, from the checkout's HEAD."""

    def render(folder: Path) -> dict:
        paths = {}
        for name, answers in VARIANTS.items():
            result = copie_session.copy(extra_answers=answers)
            assert result.exit_code == 0, result.exception
            # Out of pytest-copie's folder, which goes when its worker is done.
            project = folder / result.answers["program_name"]
            shutil.copytree(result.project_dir, project)
            paths[name] = (str(project), result.answers)
        return paths

    built = once_per_run(tmp_path_factory, "rendered", render)
    return {name: (Path(path), answers) for name, (path, answers) in built.items()}


@pytest.fixture(scope="session")
def venv(rendered, tmp_path_factory) -> Path:
    """One venv with every rendered project installed, editable, with its postgres
    extra and its dev group."""

    def install(folder: Path) -> str:
        path = folder / ".venv"
        uv("venv", "--quiet", "--python", sys.executable, str(path))
        projects = [project for project, _ in rendered.values()]
        editables = [f"--editable={project}[postgres]" for project in projects]
        groups = [f"--group={project}/pyproject.toml:dev" for project in projects]
        python = str(path / "bin" / "python")
        # asyncpg is the README's documented option beside psycopg; test it too.
        uv(
            "pip",
            "install",
            "--quiet",
            "--python",
            python,
            *editables,
            *groups,
            "asyncpg",
        )
        return str(path)

    return Path(once_per_run(tmp_path_factory, "venv", install))


@pytest.fixture(scope="session")
def wheel(rendered, venv, tmp_path_factory) -> Path:
    """The default project's wheel, built with the command its README gives, from the
    tools its dev group installs."""

    def build(dist: Path) -> str:
        project, _ = rendered["default"]
        subprocess.run(
            [str(venv / "bin/python"), "-m", "build", "--wheel", "--outdir", str(dist)],
            cwd=project, check=True, capture_output=True,
        )  # fmt: skip
        (built,) = dist.glob("*.whl")
        return str(built)

    return Path(once_per_run(tmp_path_factory, "wheel", build))


@pytest.fixture(scope="session")
def runtime_venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel and its runtime dependencies: no dev tools."""

    def install(folder: Path) -> str:
        venv = folder / ".venv"
        uv("venv", "--quiet", "--python", sys.executable, str(venv))
        python = str(venv / "bin/python")
        uv("pip", "install", "--quiet", "--python", python, str(wheel))
        return str(venv)

    return Path(once_per_run(tmp_path_factory, "runtime", install))


@pytest.fixture(scope="session")
def mypy_cache(rendered, venv, tmp_path_factory) -> Path:
    """mypy's cache after checking the default project, built once per run: a check
    from nothing reads all of SQLAlchemy and Alembic (10 s and more), one from a warm
    cache, as on a developer's machine or a CI runner with a cache, reads the project."""

    def build(folder: Path) -> str:
        project, _ = rendered["default"]
        cache = folder / "cache"
        env = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(folder)}
        subprocess.run(
            [str(venv / "bin/mypy")], cwd=project, env=env | {"MYPY_CACHE_DIR": str(cache)},
            capture_output=True, check=False,
        )  # fmt: skip
        return str(cache)

    return Path(once_per_run(tmp_path_factory, "mypy-cache", build))


@pytest.fixture
def warm_mypy(mypy_cache, tmp_path) -> dict[str, str]:
    """The environment that points mypy at a private copy of the warm cache."""
    copy = tmp_path / "mypy-cache"
    shutil.copytree(mypy_cache, copy)
    return {"MYPY_CACHE_DIR": str(copy)}


@pytest.fixture(scope="session")
def projects(rendered, venv, tmp_path_factory) -> dict[str, Project]:
    return {
        name: Project(path, answers, venv, tmp_path_factory.mktemp(f"home-{name}"))
        for name, (path, answers) in rendered.items()
    }


@pytest.fixture
def project(projects, tmp_path) -> Project:
    """A private copy of the default project, free to change."""
    return projects["default"].copy(tmp_path)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the whole run. If it cannot start, its tests error."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pgbouncer(postgres):
    """PgBouncer, in transaction pooling, in front of the run's server."""
    bouncer = PgBouncer(postgres).start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
def start_private_postgres():
    """Start a server of the test's own, with settings: start(max_connections=10).
    Every one is deleted at teardown, running or halted."""
    with ExitStack() as servers:

        def start(**settings: object) -> PostgresServer:
            server = PostgresServer({name: str(v) for name, v in settings.items()})
            servers.callback(server.stop)  # before start(), which may fail halfway
            return server.start()

        yield start


@pytest.fixture
def private_postgres(start_private_postgres) -> PostgresServer:
    """A server of the test's own, free to halt, resume and restart."""
    return start_private_postgres()


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 3 MB tmpfs, to fill up."""
    disk = tmp_path / "small_disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)]
    result = subprocess.run(mount, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        said = " ".join(result.stderr.split())
        pytest.fail(f"small_disk needs root to mount a tmpfs: {said}", pytrace=False)
    try:
        yield disk
    finally:
        # A file still open on it makes umount refuse; detach it anyway.
        if subprocess.run(["umount", str(disk)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def sqlite_query(path: Path, sql: str) -> list[tuple]:
    """Read a SQLite file without ever creating it."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return sorted(connection.execute(sql).fetchall())


def sqlite_execute(path: Path, sql: str) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(sql)
    finally:
        connection.close()


@dataclass
class Database:
    """A fresh, empty database for one test, and how to look inside it."""

    url: str
    query: Callable[[str], list[tuple]]
    execute: Callable[[str], None]
    tables_sql: str
    schema_sql: str

    def snapshot(self) -> dict[str, list[tuple]]:
        """The schema and every table's rows, to compare before and after a run."""
        tables = [name for (name,) in self.query(self.tables_sql)]
        rows = {name: self.query(f"SELECT * FROM {name}") for name in tables}
        return {"schema": self.query(self.schema_sql), **rows}

    def row_counts(self) -> dict[str, int]:
        tables = [name for (name,) in self.query(self.tables_sql)]
        return {
            name: self.query(f"SELECT count(*) FROM {name}")[0][0] for name in tables
        }


def new_database(kind: str, folder: Path, postgres: PostgresServer | None) -> Database:
    """A fresh, empty database: a SQLite file in `folder`, or one on the test server."""
    if kind == "sqlite":
        path = folder / f"app_{uuid.uuid4().hex[:12]}.db"
        path.touch()
        return Database(
            url=f"sqlite:///{path}",
            query=lambda sql: sqlite_query(path, sql),
            execute=lambda sql: sqlite_execute(path, sql),
            # The machinery's bookkeeping, which grows with every run.
            tables_sql="SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT IN ('alembic_history', 'alembic_backfills')",
            schema_sql="SELECT type, name, sql FROM sqlite_master",
        )
    name = f"app_{uuid.uuid4().hex[:12]}"
    postgres.admin(f"CREATE DATABASE {name}")
    return Database(
        url=postgres.url(name),
        query=lambda sql: postgres.query(name, sql),
        execute=lambda sql: postgres.admin(sql, database=name),
        tables_sql="SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public'"
        " AND table_name NOT IN ('alembic_history', 'alembic_backfills')",
        schema_sql="SELECT table_name, column_name, data_type"
        " FROM information_schema.columns WHERE table_schema = 'public'",
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> Database:
    postgres = (
        request.getfixturevalue("postgres") if request.param == "postgres" else None
    )
    return new_database(request.param, tmp_path, postgres)
