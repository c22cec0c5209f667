"""Command-line options that several commands share, defined once so their names, short
flags and help read the same everywhere."""

import typer

DATE_FORMATS = ["%Y-%m-%d"]

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
