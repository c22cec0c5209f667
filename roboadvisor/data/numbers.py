"""The one validator for numbers read from a data file (questionnaires, answers, universes,
assumptions, policies, views, backtest configs).

YAML and JSON hand us ``bool`` (a subclass of ``int``), ``.inf``, ``.nan`` and text; each loader
used to check these with its own copy and the copies drifted (a questionnaire weight of ``.inf``
loaded). ``number`` refuses anything but a finite int/float inside the given range, with a
message naming the field and echoing the value capped (``errors.shown``).

>>> number(0.25, "policy tier 3: min_position", ValueError, 0, 0.5, hi_open=True)
0.25
>>> number(float("inf"), "question q1, field 'weight'", ValueError, 0, lo_open=True)
Traceback (most recent call last):
ValueError: question q1, field 'weight' must be a finite number, got inf
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from roboadvisor.errors import shown

ErrorFactory = Callable[[str], Exception]


def number(value: Any, where: str, error: ErrorFactory, lo: float = -math.inf,
           hi: float = math.inf, *, lo_open: bool = False, hi_open: bool = False,
           whole: bool = False, hint: str = "") -> float:
    """``value`` as a float when it is a finite number in the range (``lo``/``hi`` inclusive
    unless ``lo_open``/``hi_open``; ``whole`` also requires an integer), else ``error`` raised
    with ``"<where> must be ..., got <value>"``. ``hint`` adds a unit, e.g. "(a decimal)"."""
    extra = f" {hint}" if hint else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a whole number" if whole else "a number"
        raise error(f"{where} must be {kind}{extra}, got {shown(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise error(f"{where} must be a finite number{extra}, got {shown(value)}")
    if whole and not result.is_integer():
        raise error(f"{where} must be a whole number{extra}, got {shown(value)}")
    said = f"{where} {result:g}" if where.endswith(":") else f"{where} = {result:g}"
    below = result <= lo if lo_open else result < lo
    above = result >= hi if hi_open else result > hi
    if below or above:
        if not (lo_open or hi_open or math.isinf(lo) or math.isinf(hi)):
            raise error(f"{said} is outside {lo:g}..{hi:g}{extra}")
        raise error(f"{said} must be {_range(lo, hi, lo_open, hi_open)}{extra}")
    return result


def _range(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    parts = []
    if not math.isinf(lo):
        parts.append(f"{'above' if lo_open else 'at least'} {lo:g}")
    if not math.isinf(hi):
        parts.append(f"{'below' if hi_open else 'at most'} {hi:g}")
    return " and ".join(parts)
