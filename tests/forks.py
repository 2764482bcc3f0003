"""Commands run in a child of a process that has already imported Alembic and SQLAlchemy.

Most of a short `alembic` command's time is Python importing SQLAlchemy and Alembic
(about 0.5 s of 0.6 s), and the suite runs well over a thousand of them. So each test
worker keeps one server process per venv that imports them once, then forks a child for
each command. The child takes the command's environment, directory, arguments and
standard streams, and runs the venv's console script (`alembic`, `myapp`, `pytest`...)
or `python -c` / `python -m` as the interpreter would: the command's own code, the
project's modules and its revisions are loaded fresh in every child, from the files as
they are. Only the libraries' import is shared, as it is when a program is forked.

Programs that are not Python scripts (ruff, squawk), and Python options other than -c
and -m, run as plain processes. Tests that start processes themselves (concurrency,
signals, the installed wheel, a new user's commands) always do.
"""

import atexit
import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

# Runs in the server: the venv's Python, with what every command imports, imported.
SERVER = r"""
import json, os, runpy, signal, sys, time, traceback

sys.path = [entry for entry in sys.path if entry not in ("", os.getcwd())]
import alembic.command, alembic.config, alembic.autogenerate, alembic.ddl  # noqa
import sqlalchemy, sqlalchemy.orm, sqlalchemy.dialects.postgresql  # noqa
try:
    import psycopg  # noqa: the postgres extra
except ImportError:
    pass
BIN = os.path.dirname(sys.executable)


def python_script(path):
    try:
        with open(path, "rb") as file:
            first = file.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def child(request):
    os.setpgid(0, 0)  # a timeout kills the command and whatever it started
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY),
                            (1, request["stdout"], os.O_WRONLY),
                            (2, request["stderr"], os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    # sys.stdout and sys.stderr stay the objects they are, now on the command's files:
    # code that took them as default arguments at import (Alembic's Config) writes there.
    sys.stdin = sys.__stdin__ = open(0, closefd=False)
    import random
    random.seed()
    name, *args = request["argv"]
    code = 0
    try:
        if name.startswith("python"):
            option, target, *rest = args
            if option == "-c":
                sys.argv = ["-c", *rest]
                sys.path.insert(0, "")
                main = type(sys)("__main__")
                sys.modules["__main__"] = main
                exec(compile(target, "<string>", "exec"), main.__dict__)
            else:  # -m
                sys.argv = [target, *rest]
                sys.path.insert(0, os.getcwd())
                runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            script = os.path.join(BIN, name)
            sys.argv = [script, *args]
            sys.path.insert(0, BIN)
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        # What the interpreter does at exit: wait for threads, then the atexit hooks.
        import atexit, threading
        threading._shutdown()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF)


def handles(argv):
    name, *args = argv
    if name.startswith("python"):
        return len(args) >= 2 and args[0] in ("-c", "-m")
    return python_script(os.path.join(BIN, name))


for line in sys.stdin:
    request = json.loads(line)
    if not handles(request["argv"]):
        print(json.dumps({"handled": False}), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        child(request)
    deadline = request["timeout"] and time.monotonic() + request["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            reply = {"handled": True, "code": os.waitstatus_to_exitcode(status)}
            break
        if deadline and time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            reply = {"handled": True, "timeout": True}
            break
        time.sleep(0.005)
    print(json.dumps(reply), flush=True)
"""

_servers: dict[Path, subprocess.Popen] = {}


def run(
    venv: Path, argv: list[str], cwd: Path, env: dict, timeout: float | None
) -> subprocess.CompletedProcess | None:
    """Run `argv` (argv[0] a name in the venv's bin) in a forked child, as
    subprocess.run(capture_output=True, text=True) would; None when it is not a Python
    command the server runs."""
    server = _servers.get(venv)
    if server is None or server.poll() is not None:
        server = _servers[venv] = subprocess.Popen(
            [str(venv / "bin/python"), "-c", SERVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8"},
        )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        out.touch()
        err.touch()
        request = {
            "argv": argv, "cwd": str(cwd), "env": env, "timeout": timeout,
            "stdout": str(out), "stderr": str(err),
        }  # fmt: skip
        assert server.stdin and server.stdout
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(
                f"the fork server of {venv} stopped: see its stderr above"
            )
        reply = json.loads(line)
        if not reply["handled"]:
            return None
        stdout = out.read_text(encoding="utf-8", errors="replace")
        stderr = err.read_text(encoding="utf-8", errors="replace")
    if reply.get("timeout"):
        raise subprocess.TimeoutExpired(argv, timeout or 0, stdout, stderr)
    return subprocess.CompletedProcess(argv, reply["code"], stdout, stderr)


@atexit.register
def stop() -> None:
    for server in _servers.values():
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
