"""Shared by every harness: compare verify's column with the real code's values, count, and print.

A case agrees when both sides refuse it (verify lists an error and the real code raised), or when
both construct it and every row the real code could observe holds the same value. Anything else is a
disagreement: a row whose values differ, a config the real code refuses that verify accepts, or one
verify refuses that the real code accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RAISES = "<raises>"  # the row name of a disagreement about whether the real code refuses the config


@dataclass(frozen=True)
class Real:
    """What the real code gave for one case: its rows, or the exception it raised."""

    rows: dict[str, Any] = field(default_factory=dict)
    exception: str | None = None  # "ValueError: ..." when construction or a later step raised
    detail: dict[str, Any] = field(default_factory=dict)  # raw facts, kept for the JSON report


@dataclass(frozen=True)
class Disagreement:
    case: str
    row: str
    verify: Any
    real: Any
    why: str = ""  # verify's reason for its value

    def describe(self) -> str:
        text = f"{self.case}  {self.row}: verify {self.verify!r}, real {self.real!r}"
        return text + (f"  (verify: {self.why})" if self.why else "")

    @property
    def key(self) -> tuple[str, str]:
        return (self.case, self.row)


@dataclass
class EnvResult:
    """All cases of one environment."""

    env: str
    title: str  # e.g. "NeMo 2.5.3 + megatron-core 0.14.0"
    note: str = ""
    cases: int = 0
    constructed: int = 0
    exceptions: int = 0  # cases the real code refused
    predicted: int = 0  # of those, refused by verify as well
    compared: int = 0  # row values compared
    not_compared: tuple[str, ...] = ()  # verify rows this harness cannot observe
    not_run: dict[str, str] = field(default_factory=dict)  # case -> why the real code cannot run it
    disagreements: list[Disagreement] = field(default_factory=list)
    seconds: float = 0.0
    outcomes: dict[str, tuple[bool, int]] = field(default_factory=dict)  # case -> (constructed, values compared)

    def as_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["disagreements"] = [dict(vars(d)) for d in self.disagreements]
        return data


def same(a: Any, b: Any) -> bool:
    """Equal values; a bool never equals a number (True is not 1 here), ints equal their floats."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def compare_case(case_id: str, expected: dict[str, Any], expected_errors: tuple[str, ...], real: Real,
                 rows: tuple[str, ...], why: dict[str, str] | None = None) -> tuple[int, list[Disagreement]]:
    """(values compared, disagreements) for one case over the rows this harness observes."""
    why = why or {}
    if real.exception is not None or expected_errors:
        if real.exception is not None and expected_errors:
            return 0, []
        verify = "; ".join(expected_errors) if expected_errors else "constructs"
        return 0, [Disagreement(case_id, RAISES, verify, real.exception or "constructs")]
    found = []
    for row in rows:
        a, b = expected.get(row), real.rows.get(row)
        if not same(a, b):
            found.append(Disagreement(case_id, row, a, b, why.get(row, "")))
    return len(rows), found


def add_case(result: EnvResult, case_id: str, expected: dict[str, Any], expected_errors: tuple[str, ...], real: Real,
             rows: tuple[str, ...], why: dict[str, str] | None = None) -> None:
    result.cases += 1
    if real.exception is None:
        result.constructed += 1
    else:
        result.exceptions += 1
        result.predicted += bool(expected_errors)
    compared, found = compare_case(case_id, expected, expected_errors, real, rows, why)
    result.compared += compared
    result.outcomes[case_id] = (real.exception is None, compared)
    result.disagreements.extend(found)


def add_answers(result: EnvResult, cases, answers: list[dict[str, Any]], to_rows, rows: tuple[str, ...]) -> None:
    """Compare every prepared case (`cases.Case`) with the probe's answer for it (`to_rows(facts)`)."""
    by_id = {answer["id"]: answer for answer in answers}
    for case in cases:
        answer = by_id[case.id]
        if answer.get("not_run"):
            result.not_run[case.id] = answer["not_run"]
            continue
        if answer.get("exception"):
            real = Real(exception=answer["exception"], detail=answer.get("facts") or {})
        else:
            real = Real(rows=to_rows(answer["facts"]), detail=answer["facts"])
        add_case(result, case.id, case.expected, case.expected_errors, real, rows, case.why)


def summary_table(results: list[EnvResult]) -> str:
    """One line per environment: the counts."""
    head = ("environment", "release", "cases", "constructed", "exceptions (verify agrees)", "values compared", "disagreements", "seconds")
    lines = [head]
    for r in results:
        lines.append((r.env, r.title, str(r.cases), str(r.constructed), f"{r.exceptions} ({r.predicted})",
                      str(r.compared), str(len(r.disagreements)), f"{r.seconds:.0f}"))
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [lines[0], ("---",) * len(head), *lines[1:]])


def group_of(case: str) -> str:
    """`fixtures` or `corpus`, with the trainer builder a nemo1 case id ends in (`... [gpt]`)."""
    source = "fixtures" if case.startswith("fixtures/") else "corpus"
    return f"{source} [{case.rsplit('[', 1)[1]}" if case.endswith("]") else source


def group_table(result: EnvResult) -> str:
    """The counts of one environment per input group (fixtures / corpus, and per builder for nemo1)."""
    groups: dict[str, list[int]] = {}
    for case, (constructed, compared) in result.outcomes.items():
        counts = groups.setdefault(group_of(case), [0, 0, 0, 0, 0, 0])
        counts[0] += 1
        counts[1 if constructed else 2] += 1
        counts[3] += compared
    for case in result.not_run:
        groups.setdefault(group_of(case), [0, 0, 0, 0, 0, 0])[5] += 1
    for d in result.disagreements:
        groups.setdefault(group_of(d.case), [0, 0, 0, 0, 0, 0])[4] += 1
    head = ("inputs", "cases", "constructed", "exceptions", "values compared", "disagreements", "not run")
    lines = [head, ("---",) * len(head)] + [(name, *map(str, counts)) for name, counts in sorted(groups.items())]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def report(result: EnvResult) -> str:
    """The table of one environment and every disagreeing value."""
    lines = [f"## {result.env}: {result.title}" + (f" ({result.note})" if result.note else ""), "",
             summary_table([result]), "", group_table(result), ""]
    if result.not_compared:
        lines.append("not observable here: " + ", ".join(result.not_compared))
    if result.not_run:
        lines.append(f"not run: {len(result.not_run)}")
        by_reason: dict[str, list[str]] = {}
        for case, why in result.not_run.items():
            by_reason.setdefault(why, []).append(case)
        for why, cases in by_reason.items():
            lines.append(f"  {len(cases)} x {why}" + ("" if len(cases) > 10 else ": " + ", ".join(cases)))
    if result.disagreements:
        lines.append(f"{len(result.disagreements)} disagreement(s):")
        lines.extend("  " + d.describe() for d in result.disagreements)
    else:
        lines.append("no disagreements")
    return "\n".join(lines) + "\n"
