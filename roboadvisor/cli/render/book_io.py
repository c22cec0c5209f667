"""Tables and records of `roboadvisor book export`, `book import` and `book verify-run`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from roboadvisor.cli.render import out, print_json, warning
from roboadvisor.cli.render.batch import _pairs
from roboadvisor.errors import reason
from roboadvisor.reports.i18n import Lang, t

if TYPE_CHECKING:
    from roboadvisor.services.book_io import ExportResult, ImportResult


def lang(value: str) -> Lang:
    try:
        return Lang.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(reason(exc), param_hint="--lang") from None


def export_record(result: ExportResult) -> dict[str, Any]:
    return {"out": str(result.out), "accounts": result.accounts,
            "partitions": result.partitions, "positions": result.holdings,
            "cash_flows": result.flows, "as_of": result.as_of,
            "skipped": [{"account": s.account_id, "reason": s.reason} for s in result.skipped],
            "seconds": round(result.seconds, 3)}


def show_export(result: ExportResult, language: Lang, json_output: bool) -> None:
    for s in result.skipped:
        warning(t(f"scaleio.skipped_{s.reason}", language, id=s.account_id))
    if json_output:
        print_json(export_record(result))
        return
    out().print(_pairs(t("scaleio.export_title", language), language, [
        ("batch.label_folder", str(result.out)),
        ("batch.label_accounts", f"{result.accounts:,}"),
        ("batch.label_partitions", str(result.partitions)),
        ("scaleio.label_holdings", f"{result.holdings:,}"),
        ("scaleio.label_flows", f"{result.flows:,}"),
        ("scaleio.label_skipped", f"{len(result.skipped):,}"),
        ("batch.label_as_of", result.as_of),
        ("batch.label_time", f"{result.seconds:.1f} s"),
    ]))


def import_record(result: ImportResult) -> dict[str, Any]:
    return {"book": str(result.book), "clients": result.clients, "accounts": result.accounts,
            "positions": result.holdings, "cash_flows": result.flows,
            "records": result.records, "backend": result.backend,
            "seconds": round(result.seconds, 3)}


def show_import(result: ImportResult, language: Lang, json_output: bool) -> None:
    if json_output:
        print_json(import_record(result))
        return
    out().print(_pairs(t("scaleio.import_title", language), language, [
        ("batch.label_folder", str(result.book)),
        ("scaleio.label_database", result.backend),
        ("scaleio.label_clients", f"{result.clients:,}"),
        ("batch.label_accounts", f"{result.accounts:,}"),
        ("scaleio.label_holdings", f"{result.holdings:,}"),
        ("scaleio.label_flows", f"{result.flows:,}"),
        ("scaleio.label_records", f"{result.records:,}"),
        ("batch.label_time", f"{result.seconds:.1f} s"),
    ]))


def verification_record(result: Any) -> dict[str, Any]:
    return {"ok": result.ok, "partitions": result.partitions, "records": result.records,
            "manifest_sha256": result.manifest_sha256,
            "problems": [{"kind": p.kind, "where": p.where, "detail": p.detail}
                         for p in result.problems]}


def show_verification(result: Any, language: Lang, json_output: bool) -> None:
    if json_output:
        print_json(verification_record(result))
        return
    console = out()
    if result.ok:
        console.print(t("scaleio.run_holds", language, partitions=result.partitions,
                        records=f"{result.records:,}", sha=result.manifest_sha256),
                      markup=False, soft_wrap=True)
        return
    console.print(t("scaleio.run_broken", language, count=len(result.problems),
                    sha=result.manifest_sha256), markup=False, soft_wrap=True)
    for p in result.problems:
        console.print(t(f"scaleio.problem_{p.kind}", language, where=p.where,
                        detail=p.detail), markup=False, soft_wrap=True)
