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
