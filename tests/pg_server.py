"""A throwaway PostgreSQL for the cluster tests: ``initdb`` in a temporary folder, ``pg_ctl start`` on
127.0.0.1 and a free port, stopped at the end of the session. As root (CI containers) it runs as the
``postgres`` user (``initdb`` refuses root). Tests skip, saying why in one line, only when it cannot start.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest


@dataclass
class PgServer:
    port: int
    folder: str

    def dsn(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def start_server() -> tuple[PgServer | None, str]:
    """A running server, or None and why not."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        return None, "PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    folder = tempfile.mkdtemp(prefix="kabar-pg-")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no postgres user to run PostgreSQL as"
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    data = os.path.join(folder, "data")
    port = _free_port()
    steps = [
        _as_postgres([initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]),
        _as_postgres([pg_ctl, "-D", data, "-w", "-t", "60", "-l", os.path.join(folder, "log"), "-o",
                      f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                      f"-c max_connections=200", "start"]),
    ]
    for argv in steps:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            tail = " ".join((proc.stderr or proc.stdout).split())[-300:]
            return None, f"PostgreSQL could not be started ({os.path.basename(argv[-1])}): {tail}"
    return PgServer(port, folder), ""


def stop_server(server: PgServer) -> None:
    pg_ctl = _bin("pg_ctl")
    if pg_ctl is not None:
        subprocess.run(_as_postgres([pg_ctl, "-D", os.path.join(server.folder, "data"), "-m", "immediate",
                                     "stop"]), capture_output=True, timeout=60)
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server, why = start_server()
    if server is None:
        pytest.skip(f"cluster tests skipped: {why}")
    try:
        yield server
    finally:
        stop_server(server)


_numbers = count(1)


@pytest.fixture
def pg_dsn(pg_server: PgServer) -> str:
    """A fresh, empty database on the session's server."""
    import psycopg

    name = f"kabar_t{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.dsn(name)
