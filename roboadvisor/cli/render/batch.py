"""Tables, progress and records of `roboadvisor book synth` and `book run`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.table import Table

from roboadvisor.cli.render import out, pct, progress
from roboadvisor.reports.i18n import Lang, t

if TYPE_CHECKING:
    from roboadvisor.services.batch import RunResult, SynthResult


@contextmanager
def progress_bar(key: str, lang: Lang) -> Iterator[Callable[[int, int], None]]:
    """A bar on stderr fed with (done, total); the total is learnt from the first call."""
    with progress(t(key, lang), total=None) as advance:
        state = {"done": 0}

        def update(done: int, total: int) -> None:
            advance(done - state["done"], f"{t(key, lang)} ({done:,}/{total:,})")
            state["done"] = done

        yield update


def synth_record(result: SynthResult) -> dict[str, Any]:
    return {"out": str(result.out), "accounts": result.accounts,
            "partitions": result.partitions, "seed": result.seed, "as_of": result.as_of,
            "prices": result.prices_source, "seconds": round(result.seconds, 3)}


def show_synth(result: SynthResult, lang: Lang) -> None:
    table = _pairs(t("batch.synth_title", lang), lang, [
        ("batch.label_folder", str(result.out)),
        ("batch.label_accounts", f"{result.accounts:,}"),
        ("batch.label_partitions", str(result.partitions)),
        ("batch.label_seed", str(result.seed)),
        ("batch.label_as_of", result.as_of),
        ("batch.label_prices", result.prices_source),
        ("batch.label_time", f"{result.seconds:.1f} s"),
    ])
    out().print(table)


def run_record(result: RunResult) -> dict[str, Any]:
    return {"out": str(result.out), "engine": result.engine, "workers": result.workers,
            "seconds": round(result.seconds, 3),
            "accounts_per_second": round(result.accounts_per_second, 1),
            "summary": result.summary}


def show_run(result: RunResult, lang: Lang) -> None:
    s = result.summary
    engine = result.engine + (f" ({result.workers} workers)" if result.workers else "")
    rows = [
        ("batch.label_folder", str(result.out)),
        ("batch.label_as_of", s["as_of"]),
        ("batch.label_accounts", f"{s['accounts']:,}"),
        ("batch.label_partitions", str(s["partitions"])),
        ("batch.label_value", f"{s['value']:,.2f}"),
        ("batch.label_prices", f"{s['prices']['source']} ({s['prices']['as_of']})"),
        ("batch.label_mean_drift", pct(s["mean_drift"])),
        ("batch.label_max_drift", pct(s["max_drift"])),
        ("batch.label_triggered", f"{s['triggered']:,}"),
        ("batch.label_needs_action", f"{s['needs_action']:,}"),
        ("batch.label_knocked_out", f"{s['knocked_out']:,}"),
        ("batch.label_flagged", f"{s['flagged']:,}"),
        ("batch.label_trades", t("batch.trades_not_computed", lang) if s["trades"] is None
         else t("batch.trades_summary", lang, orders=f"{s['trades']['orders']:,}",
                turnover=f"{s['trades']['turnover']:,.2f}")),
        ("batch.label_engine", engine),
        ("batch.label_time", f"{result.seconds:.2f} s"),
        ("batch.label_throughput", f"{result.accounts_per_second:,.0f}"),
    ]
    if result.workers:
        rows.append(("batch.label_per_worker",
                     f"{result.accounts_per_second / result.workers:,.0f}"))
    console = out()
    console.print(_pairs(t("batch.run_title", lang), lang, rows))
    tiers = Table(title=t("batch.tiers_title", lang), title_justify="left")
    for key in ("batch.col_tier", "batch.col_scored", "batch.col_target"):
        tiers.add_column(t(key, lang), justify="right")
    for k in ("1", "2", "3", "4", "5"):
        tiers.add_row(f"{k} (C{k})", f"{s['scored_tiers'][k]:,}", f"{s['target_tiers'][k]:,}")
    console.print(tiers)
    triggers = Table(title=t("batch.triggers_title", lang), title_justify="left")
    triggers.add_column(t("batch.col_trigger", lang))
    triggers.add_column(t("batch.col_count", lang), justify="right")
    for name, count in s["triggers"].items():
        triggers.add_row(t(f"scaletrades.trigger_{name}", lang,
                           threshold=pct(s["drift_threshold"], 1)), f"{count:,}")
    console.print(triggers)


def _pairs(title: str, lang: Lang, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for key, value in rows:
        table.add_row(t(key, lang), value)
    return table
