"""Engines: run ``job.run_partition`` over every partition, here or on a Dask cluster.

- ``local``: partition after partition in this process; memory grows with the partition size,
  not with the book.
- ``dask``: the same function through ``dask.distributed``: a ``LocalCluster`` of ``workers``
  single-threaded processes started for the run, or an existing cluster at ``scheduler`` (its
  workers must see the book and output folders at the same paths). Each task is retried
  (``RETRIES``) and a task lost with a dead worker is rescheduled by the scheduler, so a run
  survives a killed worker; a task is idempotent (it rewrites the same bytes atomically). A
  partition refused for bad input (our own errors) comes back as a value, not retried, and
  ends the run with that error.

Both return the outcomes in partition order, whatever order the tasks finished in, and call
``on_done`` as each partition finishes (progress).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import StrEnum

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


def run_dask(tasks: Sequence[PartitionTask], on_done: OnDone | None = None, *,
             scheduler: str | None = None, workers: int = 2,
             connect_timeout: float = 10.0) -> list[PartitionOutcome]:
    from distributed import Client, LocalCluster, as_completed, wait

    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=connect_timeout)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise EngineError(str(exc)) from None
    try:
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
        client.close()
        if cluster is not None:
            cluster.close()
