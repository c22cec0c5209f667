"""How many BLAS threads a problem gets: the one place that decides it (issue 14).

On a small machine shared with other work, two BLAS threads make a 300-asset frontier several
times slower as soon as the other core is busy, and gain little when it is idle: problems of
up to ``SMALL_PROBLEM_ASSETS`` assets therefore run on one BLAS thread (threadpoolctl), and
larger ones on what the process has. Below ``THREADED_FROM_ASSETS`` OpenBLAS's kernels stay
on one thread by themselves, so we do not even load threadpoolctl there (its library scan
costs tens of milliseconds, more than a 50-asset solve).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

SMALL_PROBLEM_ASSETS = 1000
"""Problems with at most this many assets run on one BLAS thread."""
THREADED_FROM_ASSETS = 80
"""Below this many assets BLAS does not thread anyway: nothing to limit."""

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_inside = threading.local()


@contextmanager
def blas_threads_for(n_assets: int) -> Iterator[None]:
    """One BLAS thread while a problem of ``n_assets`` assets is solved, when it is small.
    Inside another such limit (a walk-forward's solves) nothing is done again: setting the
    limit costs about half a millisecond, a good part of a small solve."""
    if THREADED_FROM_ASSETS <= n_assets <= SMALL_PROBLEM_ASSETS and not getattr(
            _inside, "limited", False):
        with _controller().limit(limits=1, user_api="blas"):
            _inside.limited = True
            try:
                yield
            finally:
                _inside.limited = False
    else:
        with nullcontext():
            yield


def one_blas_thread_when_small(size_of: Callable[..., int]) -> Callable[[F], F]:
    """Decorator: run the function under ``blas_threads_for(size_of(*args, **kwargs))``."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with blas_threads_for(size_of(*args, **kwargs)):
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap
