"""Settings that come from the environment, and where files live.

Environment variables (all optional):
- ``ROBOADVISOR_CACHE_DIR``: the price cache directory (default: ``$XDG_CACHE_HOME/roboadvisor``
  or ``~/.cache/roboadvisor``); ``--cache-dir`` overrides it.
- ``ROBOADVISOR_QUESTIONNAIRES``: a directory of questionnaire definitions to use instead of the
  shipped ones.
- ``ROBOADVISOR_DEBUG=1``: show tracebacks instead of one-line errors.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "ROBOADVISOR_CACHE_DIR"
QUESTIONNAIRES_ENV = "ROBOADVISOR_QUESTIONNAIRES"
DEBUG_ENV = "ROBOADVISOR_DEBUG"

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"


def debug_enabled() -> bool:
    """True when ROBOADVISOR_DEBUG asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def cache_dir(override: Path | None = None) -> Path:
    """The price cache directory: ``override``, else the environment, else the user cache."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "roboadvisor"


def questionnaires_dir() -> Path:
    """Where questionnaire definitions live.

    The environment variable wins; then the checkout's top-level ``questionnaires/`` (source
    tree and editable installs); then the copy a regular install ships as package data.
    """
    env = os.environ.get(QUESTIONNAIRES_ENV)
    if env:
        return Path(env).expanduser()
    checkout = PACKAGE_DIR.parent / "questionnaires"
    if checkout.is_dir():
        return checkout
    return PACKAGE_DIR / "_questionnaires"
