"""One exception tree for the whole package.

Every message says what to change: the file and field, the tier and the bound, the ticker and its
first date. The CLI turns any ``RoboAdvisorError`` into one line on stderr and exits with
``exit_code``: 2 for bad input the user can fix, 1 for other failures.
"""

from __future__ import annotations

from typing import Self

ECHO_LIMIT = 40
"""Characters of a user's value repeated in a message (a 300 MB line must not come back)."""


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters with an ellipsis: the one
    way every error echoes what the user wrote."""
    text = repr(value[: limit + 1]) if isinstance(value, str) else str(value)[: limit + 1]
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 1)] + "…"


class RoboAdvisorError(Exception):
    """Base of every error raised on purpose by roboadvisor.

    An error built with :meth:`from_catalog` carries its message key and parameters, so the CLI
    can show it in the user's language; ``str(error)`` is always the English text.
    """

    exit_code: int = 1
    key: str | None = None
    params: dict[str, object] | None = None

    @classmethod
    def from_catalog(cls, key: str, /, **params: object) -> Self:
        """An error whose message is catalog entry ``key`` (English in ``str()``)."""
        from roboadvisor.reports.i18n import Lang, t

        error = cls(t(key, Lang.EN, **params))
        error.key = key
        error.params = dict(params)
        return error

    def localized(self, lang: object) -> str:
        """The message in ``lang`` when it came from the catalog, else the English text."""
        if self.key is None:
            return str(self)
        from roboadvisor.reports.i18n import t

        return t(self.key, lang, **(self.params or {}))  # type: ignore[arg-type]


def catalog_text(key: str, /, **params: object) -> str:
    """Catalog message ``key`` as English text that remembers its key, so the terminal can
    show it in the user's language (``roboadvisor.reports.i18n.Text``). For layers that must
    not import the catalog module directly (the domain)."""
    from roboadvisor.reports.i18n import text

    return text(key, **params)


def reason(exc: BaseException) -> str:
    """What ``exc`` says, to pass on as a catalog parameter or keep as a ``str``: its catalog
    text when it came from the catalog or was raised with one (``ValueError(text(...))``),
    else its English text. Wrapping with ``str(exc)`` would lose the user's language."""
    key = getattr(exc, "key", None)
    if key is not None:
        return catalog_text(key, **(getattr(exc, "params", None) or {}))
    first = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(first, str) and hasattr(first, "localized"):
        return first
    return str(exc)


class InputError(RoboAdvisorError):
    """Bad input the user can fix: a file, a field, an option. Exit code 2."""

    exit_code = 2


# --- questionnaires and answers -----------------------------------------------------------
class QuestionnaireError(InputError):
    """A questionnaire definition is unknown or invalid (names the file, question and field)."""


class AnswersError(InputError):
    """A client's answers file is unreadable, incomplete or does not fit the questionnaire."""


# --- universe, assumptions, configuration files ---------------------------------------------
class UniverseError(InputError):
    """A universe file is invalid (names the file and the asset)."""


class ConfigError(InputError):
    """A configuration file or option is invalid (names the file and the field)."""


class MissingAssumptionsError(ConfigError):
    """An assumptions file has no figures for some tickers of the universe in use."""

    def __init__(self, message: str, path: object, tickers: tuple[str, ...]) -> None:
        super().__init__(message)
        self.path = path
        self.tickers = tickers


# --- market data ----------------------------------------------------------------------------
class DataError(RoboAdvisorError):
    """Market data could not be obtained or is not usable."""


class DownloadError(DataError):
    """A download failed (names the tickers and what to do: retry, --allow-missing, --prices)."""


class DataQualityError(DataError, InputError):
    """Prices fail validation (names the file, the ticker and the date). Exit code 2."""


class CoverageError(DataError, InputError):
    """Prices do not cover what was asked (names the late asset and its first date)."""


class CacheError(DataError):
    """The local price cache is unreadable or cannot be written (names the path)."""


# --- optimisation -----------------------------------------------------------------------------
class OptimizationError(RoboAdvisorError):
    """The solvers failed on a problem that should be solvable."""


class InfeasibleError(OptimizationError, InputError):
    """A policy cannot be met (names the constraint and the tier). Exit code 2."""


class VolatilityCeilingError(InfeasibleError):
    """A volatility ceiling is below the lowest volatility the other constraints allow;
    ``target`` and ``lowest`` are annualised decimals."""

    def __init__(self, message: str, target: float, lowest: float) -> None:
        super().__init__(message)
        self.target = target
        self.lowest = lowest


class EstimationError(RoboAdvisorError):
    """Expected returns or covariance cannot be estimated (too little data, not PD)."""


class ContradictoryViewsError(EstimationError, InputError):
    """Black-Litterman views at full confidence that no returns satisfy. Exit code 2."""


# --- backtests --------------------------------------------------------------------------------
class BacktestError(RoboAdvisorError):
    """A backtest cannot run as configured."""


# --- the client book ----------------------------------------------------------------------------
class BookError(InputError):
    """The client book cannot do what was asked (unknown id, unreachable URL...). Exit code 2."""


class BookSchemaError(BookError):
    """The book's schema is older (run ``db upgrade``) or newer than this roboadvisor."""


class BookKeyError(BookError):
    """The encryption key of personal data is missing or does not open this book."""


class BookDamagedError(RoboAdvisorError):
    """The book holds a value its schema does not allow (changed outside roboadvisor). Exit
    code 1."""
