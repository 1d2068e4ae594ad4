"""NMP002: a file (or a value a rule needs) that cannot be read or parsed (reported by the runner)."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    return ()  # the runner reports read and parse errors: see migrate.lint.runner


RULE = Rule(
    code="NMP002",
    name="unreadable-input",
    severity="error",
    kind="any",
    summary="The file cannot be read or parsed, so it was not checked",
    explanation=(
        "A file that cannot be opened, is not UTF-8, is not valid YAML or Python, or is nested too deeply "
        "to parse safely is reported at the place the reader stopped, in every output format, and the run "
        "exits with status 2 (the other files are still linted). None of the file's other rules ran, so a "
        "clean report for it would be wrong. The same code marks a value a rule needs but cannot read. "
        "Selection and `# noqa` do not hide an unreadable file: fix the file, or leave it out of the run "
        "(`exclude`)."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  fp8: @True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  fp8: True\n  fp8_hybrid: True\n",
    bad_at=((4, 8),),
    check=check,
)
