"""Atomic file writes: a file is replaced whole or not at all, with the mode a plain ``open``
would give it.

The new content goes to a temporary file in the target's folder (same file system, so the
final ``os.replace`` is atomic), is flushed and fsync'ed, gets the mode ``0o666 & ~umask``
(``tempfile.mkstemp`` creates 0600 files, which would make every output private whatever the
user's umask), then replaces the target; the folder is fsync'ed so the rename survives a crash.
On any failure, Ctrl-C included, the temporary file is removed and the target is unchanged.

Temporary files are named ``.<name>.<random>.tmp`` in the target's folder, so a reader that
skips dot-files never sees one (a crash can leave one behind; ``.tmp`` marks it as litter).

Errors are the ``OSError`` of the step that failed: each caller turns it into its own error
naming the path and what to do (``CacheError`` for the cache, ``ConfigError`` for an output).

API::

    atomic_write_bytes(path, data)            # bytes -> path
    atomic_write_text(path, text, encoding="utf-8")
    atomic_write_text(path, text, mode=0o600) # a private file (answers: personal data)
    with atomic_path(path) as tmp:            # any writer that takes a path:
        frame.to_csv(tmp)                     #   write tmp; renamed to path on success,
                                              #   removed on failure
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"


def current_umask() -> int:
    """The process umask (read by setting it and putting it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: 0o666 minus the umask."""
    return 0o666 & ~current_umask()


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where directories cannot be
    opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_for(path: Path, mode: int | None = None) -> Path:
    """A new, empty temporary file next to ``path`` (``.<name>.<random>.tmp``), mode ``mode``
    (default ``0o666 & ~umask``). The caller writes it and renames or removes it."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, default_file_mode() if mode is None else mode)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def target_of(path: str | os.PathLike[str]) -> str:
    """The file a temporary file of ``temp_path_for`` stands for (any other path unchanged),
    so that an error names the file the user asked for."""
    p = Path(path)
    name = p.name
    if name.startswith(".") and name.endswith(TMP_SUFFIX) and name.count(".") >= 3:
        return str(p.parent / name[1:].rsplit(".", 2)[0])
    return str(path)


def sync_file(path: Path) -> None:
    """Flush a written file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends normally the file written
    there replaces ``path`` atomically (mode ``mode``, default ``0o666 & ~umask``); when it
    raises (Ctrl-C included) the temporary file is removed and ``path`` is untouched.

    The block must write the temporary path (an empty file exists there already).
    """
    path = Path(path)
    tmp = temp_path_for(path, mode)
    try:
        yield tmp
        sync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``, whole or not at all (see the module docstring)."""
    with atomic_path(path, mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8",
                      mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` encoded as ``encoding``, whole or not at all."""
    atomic_write_bytes(path, text.encode(encoding), mode)
