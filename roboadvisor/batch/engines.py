"""Engines: run ``job.run_partition`` over every partition, here or on a Dask cluster.

- ``local``: partition after partition in this process; memory grows with the partition size,
  not with the book.
- ``dask``: the same function through ``dask.distributed``: a ``LocalCluster`` of ``workers``
  single-threaded processes started for the run (``local_cluster``: without Dask's malloc
  trim setting, which doubles the CPU of numpy-heavy tasks), or an existing cluster at
  ``scheduler`` (its workers must see the book and output folders at the same paths; start
  them without ``MALLOC_TRIM_THRESHOLD_`` for the same speed). Each task is retried
  (``RETRIES``) and a task lost with a dead worker is rescheduled by the scheduler, so a run
  survives a killed worker; a task is idempotent (it rewrites the same bytes atomically). A
  partition refused for bad input (our own errors) comes back as a value, not retried, and
  ends the run with that error.

``DaskSession`` connects in a background thread, so that ``book run`` starts the cluster while
it optimises the model. Both return the outcomes in partition order, whatever order the tasks
finished in, and call ``on_done`` as each partition finishes (progress).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from roboadvisor.batch.job import PartitionOutcome, PartitionTask, run_partition
from roboadvisor.errors import RoboAdvisorError

RETRIES = 2
OnDone = Callable[[PartitionOutcome], None]


class Engine(StrEnum):
    LOCAL = "local"
    DASK = "dask"


class EngineError(Exception):
    """A cluster cannot be reached or started (the service turns it into a catalog error)."""


def run_local(tasks: Sequence[PartitionTask], on_done: OnDone | None = None
              ) -> list[PartitionOutcome]:
    outcomes = []
    for task in tasks:
        outcome = run_partition(task)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes


def run_partition_or_error(task: PartitionTask) -> PartitionOutcome | RoboAdvisorError:
    """``run_partition``, with our own errors returned rather than raised (no retry, no
    worker log noise: bad input fails the same way on every attempt)."""
    try:
        return run_partition(task)
    except RoboAdvisorError as exc:
        return exc


WORKER_ENV_UNSET = ("MALLOC_TRIM_THRESHOLD_",)
"""Variables Dask's nanny sets in every worker by default that ``local_cluster`` leaves
unset: with ``MALLOC_TRIM_THRESHOLD_=65536`` glibc gives every freed numpy temporary back to
the system and maps it again on the next operation (measured on a 100,000-account partition:
7 times the page faults and 1.9 times the CPU of the same task in-process; without it the
worker's CPU equals the local engine's). A variable the user set themselves is kept."""


def local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded processes (one BLAS thread each, as
    Dask sets by default) for the partition tasks."""
    import dask
    from distributed import LocalCluster

    unset = {f"distributed.nanny.pre-spawn-environ.{name}": None for name in WORKER_ENV_UNSET}
    with dask.config.set(unset):
        return LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                            dashboard_address=None, silence_logs=logging.CRITICAL)


class DaskSession:
    """A Dask client, and the ``LocalCluster`` it started (``workers`` single-threaded
    processes) unless ``scheduler`` names a running one, connected in a background thread:
    the cluster starts while the caller prepares the run (the model's optimisation), instead
    of after it. ``client()`` waits for it; ``close()`` ends what was started."""

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 connect_timeout: float = 10.0) -> None:
        self._scheduler, self._workers, self._timeout = scheduler, workers, connect_timeout
        self._client: Any = None
        self._cluster: Any = None
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._connect, name="dask-connect", daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        try:
            from distributed import Client

            if self._scheduler is None:
                self._cluster = local_cluster(self._workers)
                self._client = Client(self._cluster)
            else:
                self._client = Client(self._scheduler, timeout=self._timeout)
        except Exception as exc:  # re-raised in the caller's thread by client()
            self._error = exc

    def client(self) -> Any:
        self._thread.join()
        if isinstance(self._error, (OSError, TimeoutError)):
            raise EngineError(str(self._error))
        if self._error is not None:
            raise self._error
        return self._client

    def close(self) -> None:
        self._thread.join()
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def run_dask(tasks: Sequence[PartitionTask], on_done: OnDone | None = None, *,
             scheduler: str | None = None, workers: int = 2,
             connect_timeout: float = 10.0,
             session: DaskSession | None = None) -> list[PartitionOutcome]:
    """The tasks on a Dask cluster: ``session``'s (left open), else one connected here (and
    closed at the end)."""
    from distributed import as_completed, wait

    own = session is None
    session = session or DaskSession(scheduler, workers, connect_timeout)
    try:
        client = session.client()
        futures = client.map(run_partition_or_error, list(tasks), retries=RETRIES,
                             pure=False)
        outcomes: dict[int, PartitionOutcome] = {}
        try:
            for future in as_completed(futures):
                outcome = future.result()
                if isinstance(outcome, RoboAdvisorError):
                    raise outcome
                outcomes[outcome.partition] = outcome
                if on_done is not None:
                    on_done(outcome)
        except BaseException:
            # Not cancel: a cancelled task that already started runs on in its worker and may
            # write into the output's temporary folder after the caller removed it. Letting
            # every task end first costs the rest of the run on a failure, never a stray file.
            wait(futures)
            raise
        return [outcomes[t.partition] for t in tasks]
    finally:
        if own:
            session.close()
