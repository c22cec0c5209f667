"""Every user-facing error, warning, note and progress text comes from the en/zh catalog
(issue 8: under --lang zh errors and warnings stayed English). A scan of the source fails when a
new message is written as a literal or an f-string instead of a catalog key, so the class cannot
quietly come back; the allow-list names the few sites that must stay as they are, and why."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from pathlib import Path

import roboadvisor

PACKAGE = Path(roboadvisor.__file__).resolve().parent

CATALOG_CALLS = {"catalog_text", "text", "_msg", "t", "_t", "tr", "_tr", "from_catalog",
                 "localized", "reason"}
"""Functions whose result is a catalog message (a ``Text``, or a string already localised)."""

ALLOWED = {
    # (file relative to the package, enclosing function): why it may keep a literal message.
    # A library's own words (pandas, pyarrow, PyYAML, yfinance, the solvers) cannot be
    # translated; they are shown inside a catalog sentence that says what to do.
    ("data/price_files.py", "_read_csv"): "pandas' parser error inside prices.bad_csv",
    ("data/price_files.py", "_read_parquet"): "pyarrow's error inside prices.bad_parquet",
    ("data/yaml_io.py", "_parse"): "PyYAML's problem inside files.bad_yaml / bad_value",
    ("data/backtest_config.py", "load_risk_free_file"): "pandas' error inside rates.unreadable",
    ("data/yahoo.py", "classify"): "yfinance's exception text, the failure's detail",
    ("domain/optimizer.py", "solve_cvxpy"): "a solver's status, inside o_not_solved",
    ("domain/qp.py", "solve"): "Clarabel's error, inside o_not_solved",
    ("data/cache.py", "_corrupt"): "pyarrow's or the OS's words inside cache.unreadable",
    ("domain/walkforward.py", "_reason"): "str() of an error that has no catalog key",
}

OTHER_OWNERS: tuple[str, ...] = ()
"""Areas left out of the scan (none: the book and batch areas were converted too)."""


def _error_classes() -> set[str]:
    """Names of roboadvisor.errors' exception classes and of their subclasses anywhere."""
    import roboadvisor.errors as errors

    names = {n for n, v in vars(errors).items()
             if isinstance(v, type) and issubclass(v, BaseException)}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if (isinstance(node, ast.ClassDef) and node.name not in names
                        and any(_name(b) in names for b in node.bases)):
                    names.add(node.name)
                    grew = True
    return names


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_text(node: ast.AST) -> bool:
    """A literal string or an f-string (what a message must not be)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


BUILTIN_ERRORS = {n for n in dir(builtins) if n.endswith(("Error", "Exception"))} | {
    "CatalogError"}  # the catalog's own consistency errors cannot come from the catalog
"""Python's own exceptions: a domain invariant (ValueError) may keep an English message."""


def _is_key(node: ast.AST) -> bool:
    """A literal that names a catalog message, or a field name such as 'costs.bps'."""
    from roboadvisor.reports.i18n import catalog

    if isinstance(node, ast.JoinedStr):  # f"zh_hardening.freq_{...}": a key made in code
        head = node.values[0] if node.values else None
        return isinstance(head, ast.Constant) and " " not in str(head.value) \
            and "." in str(head.value)
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value in catalog() or " " not in node.value))


def _is_sentence(node: ast.AST) -> bool:
    """Literal English words (two in a row) in a string or f-string: a message, not a number
    formatted in code, an option name or a catalog key."""
    import re

    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(isinstance(p, ast.Constant) and isinstance(p.value, str)
               and not p.value.startswith("-")
               and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", p.value) is not None
               for p in parts)


def _from_catalog(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) in CATALOG_CALLS


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(enclosing function name, node) for every node of the module."""
    def walk(node: ast.AST, owner: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) \
                else owner
            yield name, child
            yield from walk(child, name)
    yield from walk(tree, "<module>")


USER_FACING_VALUE_ERRORS = ("data/", "services/", "cli/")
"""Folders whose ValueErrors become part of a message the user reads (parsers of options and
files): they must carry a catalog text too."""

PARSERS = {("domain/models.py", "parse"), ("domain/rebalancing.py", "parse")}
"""Domain parsers whose ValueError text is shown to the user (Tier.parse, Frequency.parse)."""


def _offences() -> list[str]:
    ours = _error_classes()
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(OTHER_OWNERS):
            continue
        found += _scan(path.read_text(encoding="utf-8"), rel, ours)
    return found


def _scan(source: str, rel: str, ours: set[str]) -> list[str]:
    found = []
    tree = ast.parse(source)
    handlers = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
    for owner, node in _functions(tree):
        if (rel, owner) in ALLOWED:
            continue
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            callee = _name(node.func)
            first = node.args[0] if node.args else None
            if callee in ours and first is not None and not _from_catalog(first):
                found.append(f"{where}: {callee}(...) without a catalog key")
            if callee in ("append", "extend", "add") and isinstance(node.func, ast.Attribute) \
                    and (_name(node.func.value) or "").lstrip("_").endswith(
                        ("warnings", "notes", "notices", "problems")) and first is not None \
                    and _is_text(first):
                found.append(f"{where}: a warning or note written as a literal")
            if callee in ("note", "warning", "error", "progress") and rel.startswith("cli/") \
                    and first is not None and _is_text(first):
                found.append(f"{where}: render.{callee} with a literal text")
            if callee == "str" and len(node.args) == 1 and _name(node.args[0]) in handlers:
                found.append(f"{where}: str(exc) loses the catalog key; use reason(exc)")
            if callee == "ValueError" and first is not None and _is_text(first) and (
                    rel.startswith(USER_FACING_VALUE_ERRORS) or (rel, owner) in PARSERS):
                found.append(f"{where}: ValueError with a literal message the user reads")
        if isinstance(node, ast.AugAssign) and (_name(node.target) or "").lstrip("_").endswith(
                ("warnings", "notes")) and isinstance(node.value, ast.Tuple | ast.List) \
                and any(_is_sentence(e) for e in node.value.elts):
            found.append(f"{where}: a warning or note written as a literal")
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                and _name(node.exc.func) not in BUILTIN_ERRORS:
            texts = [a for a in [*node.exc.args, *(k.value for k in node.exc.keywords)]
                     if _is_sentence(a)]
            if texts:
                found.append(f"{where}: raised with a literal message (use a catalog key)")
        if isinstance(node, ast.FormattedValue) and _name(node.value) in handlers:
            found.append(f"{where}: an exception formatted into a text; pass reason(exc)")
    return found


def test_messages_come_from_the_catalog() -> None:
    offences = _offences()
    assert not offences, "\n".join(offences)


def test_the_scan_catches_each_kind_of_literal() -> None:
    """The scan is not vacuous: each pattern it forbids is found in a sample."""
    sample = (
        "from roboadvisor.errors import ConfigError\n"
        "def f(warnings, x):\n"
        "    try:\n        pass\n    except ValueError as exc:\n"
        "        raise ConfigError(f'bad {x}: {exc}') from None\n"
        "    warnings.append('dropped ' + x)\n"
        "    raise ValueError(f'{x} is not a date')\n")
    offences = _scan(sample, "services/sample.py", _error_classes())
    assert any("ConfigError(...) without a catalog key" in o for o in offences)
    assert any("formatted into a text" in o for o in offences)
    assert any("warning or note written as a literal" in o for o in offences)
    assert any("ValueError with a literal" in o for o in offences)
