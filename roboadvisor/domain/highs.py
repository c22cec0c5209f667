"""``scipy.optimize.milp`` (HiGHS) with its stray output kept off our standard output.

HiGHS's C++ code prints a debug line ("HighsMipSolverData::transformNewIntegerFeasibleSolution
tmpSolver.run();") straight to file descriptor 1 on some large whole-share problems, even with
``disp`` off. Standard output carries our JSON and tables, so every MILP solve runs with
descriptor 1 pointed at standard error for its duration: the line still reaches a terminal,
never a pipe that expects JSON. Python-level ``sys.stdout`` is not touched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def _fd1_to_stderr() -> Iterator[None]:
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no descriptor 1 (embedded, closed): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def milp(*args: Any, **kwargs: Any) -> Any:
    """``scipy.optimize.milp(*args, **kwargs)``, its C-level prints sent to standard error."""
    from scipy.optimize import milp as scipy_milp

    with _fd1_to_stderr():
        return scipy_milp(*args, **kwargs)
