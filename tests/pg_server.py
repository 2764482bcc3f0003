"""A throwaway PostgreSQL server for the tests: started in a temp dir, stopped at the end.

initdb and postgres refuse to run as root, so as root they run as the `postgres` user.
The server listens on 127.0.0.1 only, on a free port, with password authentication.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
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


class PostgresServer:
    def __init__(self) -> None:
        self.bin = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.root / "server.log"
            raise RuntimeError(
                f"{args[0]} failed:\n{result.stdout}{result.stderr}"
                + (log.read_text() if log.exists() else "")
            )

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
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database="postgres", user="postgres", password=SUPERUSER_PASSWORD):
        return (
            f"postgresql+psycopg://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

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
