"""A writer killed with SIGKILL in the middle of an import leaves the book as before or as after,
never in between (every command's writes are one transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from roboadvisor.book import schema
from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.book.repositories import sql_book
from roboadvisor.services import book as service
from roboadvisor.services.assess import assess_answers_file
from roboadvisor.services.book_assess import assess_client
from tests.book.helpers import EXAMPLES, REPO

ACCOUNTS = 600
TICKERS = ("VTI", "VEA", "AGG", "SHY", "GLD")


def _book_with_accounts(store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    cipher = Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        service.add_client(book, "c", None, None, now)
        assess_client(book, "c", assess_answers_file(EXAMPLES / "tier5_aggressive.yaml"), now)
        for i in range(ACCOUNTS):
            service.open_account(book, f"A{i}", "c", None, False, None, (), now)


def _counts(store) -> tuple[int, int]:
    with store.transaction() as conn:
        return (conn.execute(select(func.count()).select_from(schema.positions)).scalar_one(),
                conn.execute(select(func.count()).select_from(schema.records)).scalar_one())


def _writing(store, proc: subprocess.Popen) -> bool:
    """True once the importer holds an open write transaction."""
    if store.backend == "sqlite":
        return Path(store.engine.url.database + "-journal").exists()
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")).scalar())


def test_a_killed_import_leaves_the_book_before_or_after(store, tmp_path: Path) -> None:
    _book_with_accounts(store)
    csv = tmp_path / "big.csv"
    csv.write_text("account,ticker,shares\n" + "".join(
        f"A{i},{t},{i % 7 + 1}\n" for i in range(ACCOUNTS) for t in TICKERS))
    before = _counts(store)
    after = (ACCOUNTS * len(TICKERS), before[1] + ACCOUNTS)
    proc = subprocess.Popen([sys.executable, "-m", "roboadvisor", "account", "import-holdings",
                             str(csv), "--db", store.url], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    caught_mid_write = False
    while time.monotonic() < deadline and proc.poll() is None:
        if _writing(store, proc):
            caught_mid_write = True
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert caught_mid_write, "the importer finished before it could be killed mid-write"
    time.sleep(0.2)  # PostgreSQL notices the dropped connection and rolls back
    assert _counts(store) in (before, after)
    # and the book still works and verifies after the crash
    from typer.testing import CliRunner

    from roboadvisor.cli.app import app

    result = CliRunner().invoke(app, ["records", "verify", "--db", store.url])
    assert result.exit_code == 0, result.stderr
