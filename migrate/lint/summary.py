"""The one sentence that counts a lint run, printed on stderr and heading the GitHub step summary.

Every output format lists the same diagnostics (those at or above the shown severity); this sentence
counts exactly those, the files read, the files that could not be read, and how many diagnostics
below the shown severity were left out, so no two places of one run disagree.
"""

from __future__ import annotations

from collections import Counter


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 or word == "info" else "s")


def summary_line(diagnostics, files: int, unreadable: int, hidden: int = 0, shown: str = "warning") -> str:
    """`Found 3 diagnostics (1 error, 2 warnings) in 2 of 5 files. 1 file could not be linted. 4 below
    warning not shown (--show-info shows them).`, or `All checks passed (5 files).`"""
    if not diagnostics:
        text = f"All checks passed ({plural(files, 'file')})."  # an unreadable file is an NMP002 diagnostic
    else:
        counts = Counter(d.severity for d in diagnostics)
        parts = ", ".join(plural(counts[s], s) for s in ("error", "warning", "info") if counts[s])
        with_findings = len({d.path for d in diagnostics})
        text = f"Found {plural(len(diagnostics), 'diagnostic')} ({parts}) in {with_findings} of {plural(files, 'file')}."
    if unreadable:
        text += f" {plural(unreadable, 'file')} could not be linted."
    if hidden:
        text += f" {hidden} below {shown} not shown (--show-info shows them)."
    return text
