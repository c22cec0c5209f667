"""`roboadvisor explain`: placeholder until its issue lands."""

from roboadvisor.errors import RoboAdvisorError

HELP = "Explain a tier's portfolio: risk contributions, binding constraints, plain words."


def explain() -> None:
    raise RoboAdvisorError("'explain' is not built yet")
