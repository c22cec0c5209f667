"""Order lists as CSV (``account rebalance --csv ORDERS``), written atomically."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from roboadvisor.data.atomic import atomic_write_text
from roboadvisor.errors import InputError

COLUMNS = ("account", "ticker", "side", "shares", "price", "value", "cost", "reason")


def check_target(path: Path) -> None:
    """Refuse before anything is computed when the file cannot be written there."""
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise InputError.from_catalog("zh_hardening.csv_no_folder", path=path, parent=parent)
    if Path(path).is_dir():
        raise InputError.from_catalog("zh_hardening.csv_is_dir", path=path)


def write_orders(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(Path(path), buffer.getvalue())
