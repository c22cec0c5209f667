"""`roboadvisor plan`: placeholder until its issue lands."""

from roboadvisor.errors import RoboAdvisorError

HELP = "The main job: answers -> risk profile -> tier -> portfolio -> explanation."


def plan() -> None:
    raise RoboAdvisorError("'plan' is not built yet")
