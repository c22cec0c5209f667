"""Parse a data file once per version of it: the one cache for the small YAML files.

``backtest compare`` and the report read the same universe and policies files once per
strategy; parsing and validating them each time cost more than the work they feed. A loader
wrapped in ``once_per_file_version`` runs once per (path, modification time in ns, size), as
the price files already do (``price_files``): a rewritten file is a new key and is read again.
Only immutable results may be cached (frozen dataclasses, tuples); errors are never cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def once_per_file_version(parse: Callable[[Path], T], maxsize: int = 8) -> Callable[[Path], T]:
    """``parse(path)``, remembered per (path, absolute path, mtime_ns, size); a path that cannot be
    stat-ed goes straight to ``parse`` so that it reports the problem in its own words."""

    @functools.lru_cache(maxsize=maxsize)
    def by_version(path: Path, absolute: Path, mtime_ns: int, size: int) -> T:
        del absolute, mtime_ns, size  # part of the key only (the path as given names the
        return parse(path)            # file in messages; the absolute one survives a chdir)

    @functools.wraps(parse)
    def load(path: Path) -> T:
        try:
            stat = path.stat()
        except OSError:
            return parse(path)
        return by_version(path, path.absolute(), stat.st_mtime_ns, stat.st_size)

    load.cache_clear = by_version.cache_clear  # type: ignore[attr-defined]
    return load
