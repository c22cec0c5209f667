"""A folder written whole or not at all: built under a temporary name, renamed at the end.

The temporary folder ``.<name>.<random>.tmp`` sits beside the target (same file system, so the
rename is atomic) and is removed on any failure, Ctrl-C included; a hard kill can leave it
behind, and its dot-name and ``.tmp`` mark it as litter, never as a finished result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from roboadvisor.data.atomic import TMP_SUFFIX, fsync_dir


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes ``target``.

    Raises FileExistsError when ``target`` exists (callers turn it into their own error).
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        for folder, _dirs, files in os.walk(tmp):
            for name in files:
                if name.startswith(".") and name.endswith(TMP_SUFFIX):
                    # the temporary file of a writer killed mid-write (a Dask worker whose
                    # partition was re-run elsewhere): never part of the result
                    os.unlink(Path(folder) / name)
                    continue
                fd = os.open(Path(folder) / name, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(target.parent)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
