"""roboadvisor: risk questionnaire -> risk tier -> mean-variance global ETF portfolio -> backtests.

Conventions used everywhere in the package (stated once, here):
- Returns, volatilities and rates are decimals (0.05 = 5%), annualised unless a name says
  otherwise (``daily_returns``). Annualisation uses 252 trading days per year; expected returns
  are arithmetic means, volatilities are standard deviations times sqrt(252).
- Portfolio weights are fractions of total value that sum to 1; long-only unless said.
- Prices are adjusted closes (dividends and splits reinvested, i.e. total-return prices).
"""

__version__ = "0.1.0"

TRADING_DAYS_PER_YEAR = 252

# The Python API (``roboadvisor.api``), loaded on first use so that ``import roboadvisor``
# (and the command line's start) stays cheap: no pandas, cvxpy or PyPortfolioOpt until a name
# below is used.
from roboadvisor.api import __all__  # noqa: E402  (one list of public names, in api)


def __getattr__(name: str) -> object:
    """``roboadvisor.<name>`` for the API's names, imported on first use (PEP 562)."""
    if name in __all__:
        from roboadvisor import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'roboadvisor' has no attribute {name!r}")
