"""A throwaway PostgreSQL server for the tests: started in a temp dir, stopped at the end.
And a throwaway PgBouncer to put in front of one.

initdb, postgres and pgbouncer refuse to run as root, so as root they run as the
`postgres` user. Both listen on 127.0.0.1 only, on a free port, with password
authentication.
"""

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

SUPERUSER_PASSWORD = "super-secret-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): "
            "apt-get install postgresql, or run .ci/run, which installs it"
        )
    return Path(found[-1]).parent


def database_url(port: int, database: str, user: str, password: str) -> str:
    return (
        f"postgresql+psycopg://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@127.0.0.1:{port}/{database}"
    )


class PostgresServer:
    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.bin = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.settings = dict(settings or {})

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            log = self.root / "server.log"
            raise RuntimeError(
                f"{args[0]} failed:\n{result.stdout}{result.stderr}"
                + (log.read_text() if log.exists() else "")
            )
        return result

    def _options(self) -> str:
        """The server's command line, the same for every start and restart. pg_ctl
        hands it to a shell, hence the quoting; later -c settings win, so the caller's
        come last."""
        settings = {"listen_addresses": "127.0.0.1", "fsync": "off", **self.settings}
        options = [f"-p {self.port}", f"-k {shlex.quote(str(self.root))}"]
        options += [f"-c {shlex.quote(f'{k}={v}')}" for k, v in settings.items()]
        return " ".join(options)

    def _pg_ctl(self, action: str, *args: str) -> None:
        # -l always: without it the server inherits pg_ctl's captured stdout, and
        # subprocess.run waits for the server to exit.
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-w", *args, action,
        )  # fmt: skip

    def start(self) -> "PostgresServer":
        password_file = self.root / "password"
        password_file.write_text(SUPERUSER_PASSWORD)
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(password_file, "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256",
            f"--pwfile={password_file}", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        self.resume()
        return self

    def halt(self) -> None:
        """Stop the server and keep its files, to resume() it later."""
        self._pg_ctl("stop", "-m", "fast")

    def resume(self) -> None:
        """Start the halted server again, on the same port, with the same settings."""
        self._pg_ctl("start", "-o", self._options())

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast", "-o", self._options())

    def running(self) -> bool:
        status = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def stop(self) -> None:
        """Stop the server, if it runs (a test may have halted it), and delete it."""
        try:
            if self.running():
                self._run(
                    "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database="postgres", user="postgres", password=SUPERUSER_PASSWORD):
        return database_url(self.port, database, user, password)

    def connect(self, database: str = "postgres", **options) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=SUPERUSER_PASSWORD,
            dbname=database,
            **options,
        )

    def admin(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, outside any transaction."""
        with self.connect(database, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def query(self, database: str, sql: str) -> list[tuple]:
        with self.connect(database) as connection:
            return sorted(connection.execute(sql).fetchall())


def pgbouncer_binary() -> str:
    # Debian puts it in /usr/sbin, which a non-root PATH often lacks.
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if not found:
        raise RuntimeError(
            "PgBouncer is not installed: apt-get install pgbouncer, "
            "or run .ci/run, which installs it"
        )
    return found


def auth_file_line(user: str, password: str) -> str:
    # The auth_file's quoting: each field in double quotes, a quote inside doubled.
    return " ".join('"' + field.replace('"', '""') + '"' for field in (user, password))


class PgBouncer:
    """PgBouncer in transaction pooling in front of `server`, for the users it is given.
    `settings` adds to or overrides its [pgbouncer] section: with the server down, a
    query waits query_wait_timeout (120 s by default) before it fails.

    It runs in the foreground, as our child, so stop() can always end it."""

    def __init__(
        self,
        server: PostgresServer,
        users: dict[str, str] | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.users = dict(users or {"postgres": SUPERUSER_PASSWORD})
        self.settings = dict(settings or {})
        self.root = Path(tempfile.mkdtemp(prefix="pgbouncer-test-"))
        self.port = free_port()
        self.log = self.root / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> Path:
        users = self.root / "userlist.txt"
        users.write_text(
            "".join(auth_file_line(u, p) + "\n" for u, p in self.users.items())
        )
        config = self.root / "pgbouncer.ini"
        config.write_text(
            f"""\
[databases]
* = host=127.0.0.1 port={self.server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir = {self.root}
pool_mode = transaction
auth_type = scram-sha-256
auth_file = {users}
max_client_conn = 200
default_pool_size = 5
ignore_startup_parameters = extra_float_digits,options
logfile = {self.log}
"""
            # PgBouncer takes the last of a repeated key.
            + "".join(f"{name} = {value}\n" for name, value in self.settings.items())
        )
        if os.geteuid() == 0:
            for path in (self.root, users, config):
                shutil.chown(path, "postgres", "postgres")
        return config

    def start(self) -> "PgBouncer":
        config = self._write_config()
        # Not runuser: killing runuser would leave its pgbouncer running.
        as_postgres = (
            {"user": "postgres", "group": "postgres", "extra_groups": []}
            if os.geteuid() == 0
            else {}
        )
        # -q: it logs to self.log too, and an unread pipe would fill and block it.
        self.process = subprocess.Popen(
            [pgbouncer_binary(), "-q", str(config)],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **as_postgres,
        )
        self._wait_until_ready(timeout=20)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        user, password = next(iter(self.users.items()))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=self.port, user=user, password=password,
                    dbname="postgres", connect_timeout=2,
                ) as connection:  # fmt: skip
                    connection.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                last_error = error
            if self.process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        log = self.log.read_text() if self.log.exists() else "(no log)"
        exited = self.process.poll()
        self.stop()  # a failed start leaves nothing running
        what = (
            f"PgBouncer on port {self.port} exited with {exited} before it served"
            if exited is not None
            else f"waited {timeout} s for PgBouncer on port {self.port}"
        )
        raise RuntimeError(
            f"{what}; last error: {last_error}\n--- pgbouncer.log\n{log}"
        )

    def url(self, database="postgres", user="postgres", password=SUPERUSER_PASSWORD):
        return database_url(self.port, database, user, password)

    def stop(self) -> None:
        try:
            if self.process is not None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
