"""Price snapshots for the book: the latest row of a price file, or the shipped reference."""

from __future__ import annotations

from pathlib import Path

from roboadvisor import config
from roboadvisor.batch.book_files import PriceSnapshot
from roboadvisor.errors import ConfigError

REFERENCE_PRICES = config.RESOURCES_DIR / "reference_prices.yaml"


def reference_snapshot(path: Path = REFERENCE_PRICES) -> PriceSnapshot:
    """The shipped reference prices (see the file's header for their provenance)."""
    from roboadvisor.data.yaml_io import load_mapping

    data = load_mapping(path, ConfigError)
    prices = data.get("prices")
    if not isinstance(prices, dict) or not prices:
        raise ConfigError.from_catalog("zh_book.prices_not_mapping", path=str(path))
    return PriceSnapshot(str(data.get("as_of", "")), str(data.get("source", path.name)),
                         tuple((str(k), float(v)) for k, v in prices.items()))


def latest_snapshot(prices_file: Path, tickers: tuple[str, ...]) -> PriceSnapshot:
    """The last price of each ticker in a price file (validated as every price file is);
    ConfigError naming the tickers the file lacks. ``as_of`` is the oldest of those dates."""
    from roboadvisor.data.price_files import read_price_file

    frame = read_price_file(Path(prices_file)).prices
    missing = [t for t in tickers if t not in frame.columns
               or frame[t].last_valid_index() is None]
    if missing:
        raise ConfigError.from_catalog("batch.prices_missing", path=str(prices_file),
                                       tickers=", ".join(missing))
    last = {t: frame[t].last_valid_index() for t in tickers}
    return PriceSnapshot(min(last.values()).date().isoformat(), Path(prices_file).name,
                         tuple((t, float(frame.at[last[t], t])) for t in tickers))
