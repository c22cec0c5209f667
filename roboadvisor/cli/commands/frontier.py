"""`roboadvisor frontier`: placeholder until its issue lands."""

from roboadvisor.errors import RoboAdvisorError

HELP = "Trace the efficient frontier and mark the five tier portfolios (--plot FILE.png)."


def frontier() -> None:
    raise RoboAdvisorError("'frontier' is not built yet")
