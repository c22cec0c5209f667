"""Command-line pieces that several commands share, defined once so their names, short flags
and help read the same everywhere."""

from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

DATE_FORMATS = ["%Y-%m-%d"]


def day(value: datetime | None) -> date | None:
    """A ``--start``/``--end`` option (Typer parses DATE_FORMATS to a datetime) as a date."""
    return value.date() if value is not None else None


JSON = typer.Option(False, "--json", help="Print JSON instead of tables (for machines).")
PRICES = typer.Option(None, "--prices", metavar="FILE",
                      help="Daily adjusted closes, CSV or parquet (a Date column and one column "
                           "per ticker). Default: the local cache (`roboadvisor data import "
                           "FILE` or `data fetch`).")
UNIVERSE = typer.Option(None, "--universe", "-u", metavar="FILE",
                        help="Universe file (default: the shipped 17-ETF global universe).")
POLICIES = typer.Option(None, "--policies", metavar="FILE",
                        help="Tier policies file (default: roboadvisor/resources/policies.yaml).")
CACHE_DIR = typer.Option(None, "--cache-dir", metavar="DIR",
                         help="Price cache directory (default: $ROBOADVISOR_CACHE_DIR, else "
                              "~/.cache/roboadvisor).")


CURRENT_LANG: ContextVar[str] = ContextVar("roboadvisor_lang", default="en")
"""The language of the running command (its --lang), for errors and warnings shown by the
error boundary and ``render``; set as soon as --lang is parsed."""


def _remember_lang(value: str | None) -> str | None:
    if value is not None:
        CURRENT_LANG.set("zh" if str(value).strip().lower().startswith("zh") else "en")
    return value


def lang_option(help_text: str = "Language of the output, errors and warnings: en (English) "
                                 "or zh (Simplified Chinese).") -> Any:
    """A --lang option that also sets CURRENT_LANG (eager, so even errors in the other
    options come in the user's language)."""
    return typer.Option("en", "--lang", help=help_text, callback=_remember_lang,
                        is_eager=True)


LANG = lang_option()


class PlainUsage(TyperCommand):
    """Shows a required argument as ``ID`` in the usage line, not Typer's ``{ID}``, which
    reads like a set of choices."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument) and param.required:
                name = param.display_name_raw
                many = param.nargs != 1 and not name.endswith("...")
                pieces.append(name + ("..." if many else ""))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def _flags_without_a_type() -> None:
    """Typer 0.29 prints ``<bool>`` after every flag (``--json <bool>``), which reads as if the
    flag took a value; a flag shows no type, as in Click. Fixed here rather than by pinning
    Typer below the version the environment ships."""
    original = TyperOption.display_type_rich
    if getattr(original, "_roboadvisor", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return original(self, ctx)

    display_type_rich._roboadvisor = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_a_type()


# Cash flows of a projection: the same options on `project` and `report`.
MONTHLY = typer.Option(0.0, "--monthly", metavar="Y", help="Saved at the end of each month.")
GOAL = typer.Option(None, "--goal", metavar="G", help="Wealth wanted at the horizon.")
WITHDRAW = typer.Option(0.0, "--withdraw-monthly", metavar="W",
                        help="Taken out at the end of each month.")
