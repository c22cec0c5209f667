"""domain/blas_threads.py: one BLAS thread for small problems, set once even when nested."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from roboadvisor.domain.blas_threads import blas_threads_for


def _blas_threads() -> set[int]:
    assert np.ones(1).sum() == 1  # numpy (and its BLAS) loaded
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_small_problems_run_on_one_thread_and_nesting_keeps_it() -> None:
    before = _blas_threads()
    with blas_threads_for(100):
        assert _blas_threads() == {1}
        with blas_threads_for(300):            # nested: nothing set again...
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}          # ...and nothing undone on leaving it
    assert _blas_threads() == before
    with blas_threads_for(100):                # usable again after the outer one ended
        assert _blas_threads() == {1}
    assert _blas_threads() == before
