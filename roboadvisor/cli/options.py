"""Command-line pieces that several commands share, defined once so their names, short flags
and help read the same everywhere."""

from datetime import date, datetime
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand

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
