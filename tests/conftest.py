"""Shared test fixtures.

- No test touches the network: any socket connection to a non-local address raises.
- No test touches the user's price cache: ROBOADVISOR_CACHE_DIR points to a temporary folder.
- Under CI (CI=true) hypothesis is derandomised: the same examples on every run.
- ``shared_data`` gives ../shared/data (real ETF prices), skipping with a reason when absent.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a landing must not depend on luck); local runs explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
REAL_DAILY_PRICES = SHARED_DATA / "etf_adjclose_daily_1993_2026.csv"
RESOURCES = Path(__file__).resolve().parent / "resources"


class NetworkBlockedError(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address)
        host = address[0] if isinstance(address, tuple) else str(address)
        if host in {"127.0.0.1", "::1", "localhost"}:
            return real_connect(self, address)
        raise NetworkBlockedError(f"test tried to reach the network: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ROBOADVISOR_CACHE_DIR", str(cache))
    monkeypatch.delenv("ROBOADVISOR_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return cache


@pytest.fixture(autouse=True)
def _cli_field_names(request: pytest.FixtureRequest) -> Iterator[None]:
    """A module that drives the CLI (it holds the Typer ``app``) computes the messages it
    expects as the terminal shows them: inputs named by their flags (``cli.flags``), as the
    CLI's error boundary names them; elsewhere inputs keep their neutral names."""
    module_app = getattr(request.module, "app", None)
    if module_app is None or type(module_app).__name__ != "Typer":
        yield
        return
    from roboadvisor.cli.flags import CLI_FLAGS
    from roboadvisor.fields import named

    with named(CLI_FLAGS):
        yield


@pytest.fixture
def real_prices_csv() -> Path:
    """The real daily adjusted-close file in ../shared/data, or skip."""
    if not REAL_DAILY_PRICES.is_file():
        pytest.skip(f"real price data not present at {REAL_DAILY_PRICES} "
                    "(needs the shared/ folder beside the repository)")
    return REAL_DAILY_PRICES
