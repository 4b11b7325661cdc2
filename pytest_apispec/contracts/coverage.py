"""Coverage of a contract by docs: which operations have a doc, and how those docs did.

Pure: the pytest layer gathers what it knows (the collected docs, their outcomes in this run,
the statuses their steps received) into :class:`DocEntry` objects and a map of statuses seen;
this module matches them against a contract's operations and renders the result as the terminal
table, JSON or Markdown.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pytest_apispec.contracts.document import Contract, Operation
from pytest_apispec.contracts.paths import OperationIndex, index_of
from pytest_apispec.docformat.model import operation_of


class Outcome(enum.Enum):
    """What became of a doc in this run, as pytest reported it."""

    PASSED = "passed"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not run"


@dataclass(frozen=True, slots=True)
class DocEntry:
    """A collected doc that names a contract."""

    doc: str  # the doc's file, as reports name it (one doc a file)
    endpoint: str | None  # "PUT /a/{uid}", as the doc writes it
    outcome: Outcome = Outcome.NOT_RUN


SeenStatuses = Mapping[str, Iterable[int]]
"""Operation label (``GET /a/{id}``, the contract's own template) -> statuses received."""


@dataclass(frozen=True, slots=True)
class OperationCoverage:
    """One operation of a contract, and the docs that document it."""

    method: str
    path: str
    docs: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    statuses_documented: tuple[str, ...]
    statuses_seen: tuple[int, ...]

    @property
    def documented(self) -> bool:
        return bool(self.docs)

    @property
    def passing(self) -> bool:
        """A doc of it passed in this run (an XFAIL holds a known wrong answer, not this)."""
        return Outcome.PASSED in self.outcomes


@dataclass(frozen=True, slots=True)
class ContractCoverage:
    """A contract's operations, with their docs; docs naming operations it lacks."""

    contract: str  # as the docs name it, relative to the contract root
    operations: tuple[OperationCoverage, ...] = ()
    unknown: tuple[tuple[str, str], ...] = ()  # (doc, endpoint) the contract has no operation for
    error: str | None = None  # the contract could not be loaded
    docs: tuple[str, ...] = field(default=())  # every doc that names the contract

    @property
    def documented(self) -> int:
        return sum(op.documented for op in self.operations)

    @property
    def passing(self) -> int:
        return sum(op.passing for op in self.operations)

    @property
    def percent(self) -> float:
        return 100.0 * self.documented / len(self.operations) if self.operations else 0.0


def cover(
    name: str, contract: Contract, docs: Sequence[DocEntry], seen: SeenStatuses
) -> ContractCoverage:
    """Match each doc's ``endpoint`` to an operation of ``contract``."""
    index = index_of(contract)
    by_operation: dict[str, list[DocEntry]] = {}
    unknown: list[tuple[str, str]] = []
    for entry in docs:
        operation = _operation_of(index, entry.endpoint)
        if operation is None:
            unknown.append((entry.doc, entry.endpoint or "(no endpoint)"))
        else:
            by_operation.setdefault(operation.label, []).append(entry)
    rows = tuple(
        _row(op, by_operation.get(op.label, ()), seen.get(op.label, ()))
        for op in sorted(contract.operations, key=lambda op: (op.template, op.method))
    )
    return ContractCoverage(name, rows, tuple(unknown), docs=tuple(entry.doc for entry in docs))


def broken(name: str, error: str, docs: Sequence[DocEntry]) -> ContractCoverage:
    """A contract that could not be loaded: no operations to count, its error instead."""
    return ContractCoverage(name, error=error, docs=tuple(entry.doc for entry in docs))


def _operation_of(index: OperationIndex, endpoint: str | None) -> Operation | None:
    found = operation_of(endpoint)
    return index.find(*found) if found is not None else None


def _row(operation: Operation, docs: Sequence[DocEntry], seen: Iterable[int]) -> OperationCoverage:
    responses = operation.node.get("responses")
    documented = tuple(str(key) for key in responses) if isinstance(responses, Mapping) else ()
    return OperationCoverage(
        method=operation.method,
        path=operation.template,
        docs=tuple(entry.doc for entry in docs),
        outcomes=tuple(entry.outcome for entry in docs),
        statuses_documented=documented,
        statuses_seen=tuple(sorted(set(seen))),
    )


# ---------------------------------------------------------------- rendering


def table(reports: Sequence[ContractCoverage], ran: bool = True) -> list[str]:
    """The terminal summary: a row per contract. ``ran``: false under ``--api-lint``, where
    nothing was sent and "passing" means nothing."""
    header = ("contract", "operations", "documented", "passing", "coverage")
    rows = [
        (r.contract, "-", "-", "-", "not loaded")
        if r.error
        else (
            r.contract,
            str(len(r.operations)),
            str(r.documented),
            str(r.passing) if ran else "-",
            _pct(r),
        )
        for r in reports
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _pct(report: ContractCoverage) -> str:
    return f"{report.percent:.0f}%"


def as_json(reports: Sequence[ContractCoverage]) -> str:
    return json.dumps({"contracts": [_json_contract(r) for r in reports]}, indent=2) + "\n"


def _json_contract(report: ContractCoverage) -> dict[str, object]:
    return {
        "contract": report.contract,
        "error": report.error,
        "operations": len(report.operations),
        "documented": report.documented,
        "passing": report.passing,
        "percent": round(report.percent, 1),
        "rows": [
            {
                "method": op.method,
                "path": op.path,
                "docs": list(op.docs),
                "outcomes": [o.value for o in op.outcomes],
                "statuses_documented": list(op.statuses_documented),
                "statuses_seen": list(op.statuses_seen),
            }
            for op in report.operations
        ],
        "unknown_operations": [{"doc": doc, "endpoint": ep} for doc, ep in report.unknown],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def as_markdown(reports: Sequence[ContractCoverage]) -> str:
    lines = ["# API coverage", ""]
    for report in reports:
        lines.append(f"## {report.contract}")
        lines.append("")
        if report.error:
            lines += [f"Not loaded: {report.error}", ""]
            continue
        lines.append(
            f"{report.documented} of {len(report.operations)} operations documented "
            f"({_pct(report)}), {report.passing} passing in this run."
        )
        lines += [
            "",
            "| method | path | docs | outcomes | statuses seen | statuses documented |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for op in report.operations:
            lines.append(
                "| "
                + " | ".join(
                    [
                        op.method,
                        f"`{op.path}`",
                        "<br>".join(_cell(doc) for doc in op.docs) or "none",
                        ", ".join(o.value for o in op.outcomes) or "-",
                        ", ".join(map(str, op.statuses_seen)) or "-",
                        ", ".join(op.statuses_documented) or "-",
                    ]
                )
                + " |"
            )
        if report.unknown:
            lines += ["", "Docs naming an operation the contract lacks:", ""]
            lines += [f"- {doc}: `{endpoint}`" for doc, endpoint in report.unknown]
        lines.append("")
    return "\n".join(lines)
