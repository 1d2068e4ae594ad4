"""`# noqa` in YAML is a comment only where YAML has a comment: inside a block scalar (`|`, `>`) or a
quoted string broken over lines it is text, and it neither suppresses nor counts as unused."""

from __future__ import annotations

from pathlib import Path

from lint_helpers import lint

from migrate.lint.suppression import find_suppressions

TEXT = (
    "model:\n"
    "  description: |  # noqa: NMP101\n"  # 2: a comment after the block indicator
    "    runs fp8 # noqa: NMP102\n"  # 3: text of the block scalar
    "    # noqa\n"  # 4: text too (a block scalar keeps `#` lines)
    "  summary: >-\n"
    "    folded # noqa: NMP103\n"  # 6: text of a folded scalar
    "  quoted: \"first\n"
    "    # noqa: NMP104\n"  # 8: text of a quoted string
    "    last\"  # noqa: NMP105\n"  # 9: a comment after the closing quote
    "  fp8: true  # noqa: NMP106\n"  # 10: a comment
)


def test_only_real_comments_are_suppressions() -> None:
    found = [(s.line, s.codes) for s in find_suppressions(TEXT, "yaml")]
    assert found == [(2, ("NMP101",)), (9, ("NMP105",)), (10, ("NMP106",))]


def test_a_block_scalar_at_the_end_of_the_file() -> None:
    assert find_suppressions("note: |\n  # noqa", "yaml") == []


def test_noqa_text_in_a_block_scalar_is_not_reported_as_unused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "trainer:\n  precision: bf16\nmodel:\n  notes: |\n    keep # noqa in the notes\n", encoding="utf-8"
    )
    result = lint(["a.yaml", "--output-format", "concise", "--select", "NMP001"], tmp_path)
    assert result.stdout == "" and result.code == 0, result.stdout
