"""A command's output files: checked before the work starts, written together at the end.

``check_output(path, option)`` refuses, before any work, a target whose folder is missing, is not
writable (probed by creating and removing a temporary file there, so a read-only folder is found
now and not after twelve questions or a long backtest), or that is a directory.

``write_outputs(files)`` writes every file of one command to a temporary file beside its target
first; only when all are written are they renamed over their targets, one quick step at the
end. A failure while writing leaves no target changed and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from roboadvisor.data.atomic import fsync_dir, sync_file, temp_path_for
from roboadvisor.errors import ConfigError, InputError, catalog_text, reason
from roboadvisor.fields import Field

ErrorFactory = Callable[[str], Exception]


def _fail(error: ErrorFactory, key: str, /, **params: object) -> Exception:
    """``error`` with catalog message ``key`` (``from_catalog`` when the class has it)."""
    from_catalog = getattr(error, "from_catalog", None)
    if callable(from_catalog):
        return from_catalog(key, **params)
    return error(catalog_text(key, **params))


def check_output(path: Path, option: str | Field, *, suffix: str | None = None,
                 create_parent: bool = False, error: ErrorFactory = InputError) -> Path:
    """``path`` if a file can be written there (see the module docstring), else ``error``
    naming ``option``. ``create_parent``: a missing folder is fine when its parent is
    writable (created at the end)."""
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        raise _fail(error, "zh_hardening.out_suffix", option=option, path=path, suffix=suffix)
    if path.is_dir():
        raise _fail(error, "zh_hardening.out_is_dir", option=option, path=path)
    folder = path.parent
    while create_parent and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise _fail(error, "zh_hardening.out_no_folder", option=option, path=path,
                    folder=path.parent)
    try:
        probe = temp_path_for(folder / path.name)
    except OSError as exc:
        raise _fail(error, "zh_hardening.out_cannot_write_in", option=option, path=path,
                    folder=folder, reason=exc.strerror or reason(exc)) from None
    with contextlib.suppress(OSError):
        probe.unlink()
    return path


def write_outputs(files: Mapping[Path, str | bytes], modes: Mapping[Path, int] | None = None,
                  error: ErrorFactory = ConfigError) -> list[Path]:
    """Write every file to a temporary file beside its target, then rename them all (see the
    module docstring); missing folders are created. ``modes`` gives a file its own mode
    (default: what the umask gives). Returns the paths written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in files.items():
            path = Path(path)
            data = content.encode("utf-8") if isinstance(content, str) else content
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = temp_path_for(path, (modes or {}).get(path))
                staged.append((tmp, path))
                tmp.write_bytes(data)
                sync_file(tmp)
            except OSError as exc:
                raise _fail(error, "zh_hardening.out_cannot_write", path=path,
                            reason=exc.strerror or reason(exc)) from None
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
    for folder in {path.parent for _, path in staged}:
        fsync_dir(folder)
    return [path for _, path in staged]
