"""A throwaway PostgreSQL server for tests and benchmarks (never for real data).

Used by ``tests/conftest.py`` and ``benchmarks/store_bench.py`` so the cluster-start code exists
once. It runs the server binaries of the machine (Debian: ``/usr/lib/postgresql/<N>/bin``), in a
fresh temporary folder, listening on 127.0.0.1 on a free port and on a unix socket in that
folder, with trust authentication; :meth:`TempPostgres.stop` stops it and deletes everything.
initdb refuses to run as root, so as root the server runs as the ``postgres`` system user.
::

    with TempPostgres() as pg:
        url = pg.create_database("scratch")   # postgresql+psycopg://postgres@127.0.0.1:PORT/...
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

BIN_ENV_VAR = "REMISSION_PG_BIN"
"""Environment variable naming a folder with ``initdb`` and ``pg_ctl`` (overrides the search)."""

SUPERUSER = "postgres"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


def find_bin_dir() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: $REMISSION_PG_BIN, Debian's newest, or PATH."""
    configured = os.environ.get(BIN_ENV_VAR)
    candidates: list[Path] = [Path(configured)] if configured else []

    def major(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else -1

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major, reverse=True)
    candidates += [Path(p).parent for p in debian]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin, "
        f"on PATH or in ${BIN_ENV_VAR}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """A private PostgreSQL cluster in a temporary folder.

    ``durable=False`` (the default, for tests) turns off fsync and friends: fast, and fine for
    data that is thrown away. Benchmarks pass ``durable=True`` to measure real commit costs.
    """

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bin_dir = find_bin_dir()
        self.port: int | None = None
        self.base: Path | None = None
        self._as_postgres = os.geteuid() == 0
        self._databases = 0
        if self._as_postgres:
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, the server must run as the {SUPERUSER!r} system user, "
                    "which does not exist (the PostgreSQL server package creates it)"
                ) from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root needs `runuser` (util-linux)")

    # -------------------------------------------------------------- lifecycle

    def start(self) -> TempPostgres:
        """Create the cluster and start the server (a few seconds); returns self."""
        if self.port is not None:
            return self
        base = Path(tempfile.mkdtemp(prefix="remission-pg-"))
        self.base = base
        atexit.register(self.stop)
        try:
            if self._as_postgres:
                entry = pwd.getpwnam(SUPERUSER)
                os.chown(base, entry.pw_uid, entry.pw_gid)
            self._run(
                "initdb",
                "-D", str(base / "data"),
                "-U", SUPERUSER,
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            )  # fmt: skip
            settings = [
                "listen_addresses=127.0.0.1",
                f"unix_socket_directories={base}",
                "max_connections=100",
                "shared_buffers=128MB",
            ]
            if not self.durable:
                settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
            last_error: RuntimeError | None = None
            for _attempt in range(3):  # the free port may be taken between probe and start
                port = _free_port()
                options = " ".join(f"-c {s}" for s in [*settings, f"port={port}"])
                try:
                    self._run(
                        "pg_ctl", "-D", str(base / "data"), "-l", str(base / "server.log"),
                        "-o", options, "-w", "-t", "60", "-s", "start",
                    )  # fmt: skip
                except RuntimeError as e:
                    last_error = e
                    continue
                self.port = port
                return self
            raise RuntimeError(f"the PostgreSQL server did not start: {self.log_tail()}") from (
                last_error
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and delete its folder."""
        base, self.base = self.base, None
        if base is None:
            return
        if self.port is not None and (base / "data" / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(base / "data"), "-m", "immediate", "-s", "stop")
        self.port = None
        shutil.rmtree(base, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------- use

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of one database of this cluster, over TCP."""
        if self.port is None:
            raise RuntimeError("the temporary PostgreSQL server is not running")
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name if none given) and return its URL."""
        import psycopg

        if name is None:
            self._databases += 1
            name = f"db_{os.getpid()}_{self._databases}"
        if not _NAME.match(name):
            raise ValueError(f"database names here are lower-case identifiers, not {name!r}")
        if self.port is None:
            raise RuntimeError("the temporary PostgreSQL server is not running")
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server log (for error messages)."""
        if self.base is None:
            return ""
        try:
            text = (self.base / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise RuntimeError(f"{program} failed (exit {done.returncode}): {output}")
