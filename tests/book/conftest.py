"""Fixtures of the book tests: every test runs against SQLite and a throwaway PostgreSQL server.

The server is initdb'ed into a temporary folder (as the ``postgres`` user when running as root,
since initdb refuses root), listens only on a Unix socket in that folder, and is stopped at the
end of the session. PostgreSQL tests are skipped, with the reason, only when no ``pg_ctl`` exists.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count(1)


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    found_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                       key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found_ctl[-1].parent if found_ctl else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A running PostgreSQL server: the socket folder (host) to connect through."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no pg_ctl binary found (install Debian's postgresql to run the PostgreSQL "
                    "half of the book tests)")
    root = Path(tempfile.mkdtemp(prefix="roboadvisor-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                 "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-k {root} -c listen_addresses='' -c fsync=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                 "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield str(root)
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _new_pg_database(host: str) -> str:
    import psycopg

    name = f"book_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(f"host={host} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@/{name}?host={host}"


@pytest.fixture(params=["sqlite", "postgresql"])
def book_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty book URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'book.sqlite'}"
    return _new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(book_url: str):
    """An open book (fresh schema) on each backend."""
    from roboadvisor.book.store import open_store

    opened = open_store(book_url)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _isolated_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the user's book or key: the data dir is a temporary folder."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    for name in ("ROBOADVISOR_DB", "ROBOADVISOR_KEY", "ROBOADVISOR_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return data
