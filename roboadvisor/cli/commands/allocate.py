"""`roboadvisor allocate`: placeholder until its issue lands."""

from roboadvisor.errors import RoboAdvisorError

HELP = "Build the mean-variance portfolio of a tier (--tier N or --answers FILE)."


def allocate() -> None:
    raise RoboAdvisorError("'allocate' is not built yet")
