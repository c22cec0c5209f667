"""`roboadvisor assess`: placeholder until its issue lands."""

from roboadvisor.errors import RoboAdvisorError

HELP = "Assess a client's risk profile and tier from a questionnaire (interactive, or --answers FILE)."


def assess() -> None:
    raise RoboAdvisorError("'assess' is not built yet")
