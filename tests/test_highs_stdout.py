"""HiGHS's stray C-level prints never reach our standard output (``domain.highs``)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
import numpy as np
from scipy.optimize import LinearConstraint
from roboadvisor.domain import highs
with highs._fd1_to_stderr():
    os.write(1, b"C-LEVEL LINE\\n")
res = highs.milp(np.array([-1.0]), constraints=LinearConstraint(np.ones((1, 1)), 0, 3.5),
                 integrality=np.ones(1), options={"disp": False})
print("x =", round(float(res.x[0])))
"""


def test_a_c_level_print_during_a_solve_goes_to_stderr() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "x = 3\n"
    assert "C-LEVEL LINE" in done.stderr
