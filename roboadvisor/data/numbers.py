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

from roboadvisor.errors import catalog_text as _msg
from roboadvisor.errors import shown

ErrorFactory = Callable[[str], Exception]


def number(value: Any, where: str, error: ErrorFactory, lo: float = -math.inf,
           hi: float = math.inf, *, lo_open: bool = False, hi_open: bool = False,
           whole: bool = False, hint: str = "") -> float:
    """``value`` as a float when it is a finite number in the range (``lo``/``hi`` inclusive
    unless ``lo_open``/``hi_open``; ``whole`` also requires an integer), else ``error`` raised
    with ``"<where> must be ..., got <value>"`` from the catalog (``from_catalog`` when
    ``error`` has it, else ``error(text)`` with a localizable ``Text``). ``hint`` adds a unit,
    e.g. "(a decimal)" (a catalog text to be shown in the user's language)."""
    extra = hint if hint else ""
    located = hasattr(where, "localized")  # a catalog text: keep it so --lang applies
    lead = (_msg("zh_hardening.lead", where=where) if located else f"{where} ") if where else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = _msg("files.kind_whole" if whole else "files.kind_number")
        raise _raise(error, "files.must_be", where=lead, kind=kind, hint=extra,
                     value=shown(value))
    result = float(value)
    if not math.isfinite(result):
        raise _raise(error, "files.must_be", where=lead, kind=_msg("files.kind_finite"),
                     hint=extra, value=shown(value))
    if whole and not result.is_integer():
        raise _raise(error, "files.must_be", where=lead, kind=_msg("files.kind_whole"),
                     hint=extra, value=shown(value))
    said = f"{where} {result:g}" if where.endswith(":") else f"{where} = {result:g}"
    said = said.lstrip(" =")
    if located:
        said = _msg("zh_hardening.said_colon" if where.endswith(":") else
                    "zh_hardening.said_equals", where=where, value=f"{result:g}")
    below = result <= lo if lo_open else result < lo
    above = result >= hi if hi_open else result > hi
    if below or above:
        if not (lo_open or hi_open or math.isinf(lo) or math.isinf(hi)):
            raise _raise(error, "files.outside", said=said, lo=f"{lo:g}", hi=f"{hi:g}",
                         hint=extra)
        raise _raise(error, "files.out_of_range", said=said,
                     range=_range(lo, hi, lo_open, hi_open), hint=extra)
    return result


def _raise(error: ErrorFactory, key: str, **params: Any) -> Exception:
    from_catalog = getattr(error, "from_catalog", None)
    if callable(from_catalog):
        return from_catalog(key, **params)
    return error(_msg(key, **params))


def _range(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    low = None if math.isinf(lo) else _msg("files.above" if lo_open else "files.at_least",
                                           value=f"{lo:g}")
    high = None if math.isinf(hi) else _msg("files.below" if hi_open else "files.at_most",
                                            value=f"{hi:g}")
    if low is not None and high is not None:
        return _msg("files.range_both", low=low, high=high)
    return low if low is not None else high or ""
