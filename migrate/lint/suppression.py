"""`# noqa` comments: per line (`# noqa`, `# noqa: NMP101, NMP102`) and per file
(`# nemo-migrate: noqa`, `# nemo-migrate: noqa: NMP120`), and which of them went unused (NMP001).

PyYAML drops comments, so YAML lines are scanned for a `#` that starts a comment (outside quotes,
after whitespace), once the text of scalars spanning several lines (block scalars `|` and `>`,
quoted strings broken over lines) is blanked out: a `# noqa` there is text, not a comment. Python
comments come from the tokenizer. Codes of other tools (`# noqa: E731`)
are left alone, and a bare `# noqa` in Python is never reported as unused: it may be ruff's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.lint.diagnostic import Diagnostic
from migrate.lint.registry import RULES, UNUSED_NOQA

OWN_PREFIX = "NMP"
_CODES = r"(?P<codes>[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*)"
_FILE = re.compile(r"#\s*nemo-migrate\s*:\s*noqa(?:\s*:\s*" + _CODES + r")?", re.IGNORECASE)
_LINE = re.compile(r"#\s*noqa(?:\s*:\s*" + _CODES + r")?", re.IGNORECASE)


@dataclass
class Suppression:
    """codes None: every rule. `used` collects the codes it really suppressed."""

    line: int
    col: int
    end_col: int
    codes: tuple[str, ...] | None
    file_level: bool
    kind: str = "yaml"
    used: set[str] = field(default_factory=set)

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def _yaml_comment(line: str) -> int | None:
    """0-based index of the `#` starting a YAML comment on this line, or None."""
    quote = None
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and previous in " \t:[{,-":
            quote = char
        elif char == "#" and previous in " \t":
            return index
        previous = char
    return None


def _without_multiline_scalars(text: str) -> list[str]:
    """The text's lines with every scalar that spans several lines replaced by spaces (columns kept).

    A block scalar's text starts on the line after its indicator (`key: |  # a comment`); a quoted
    one at its opening quote. Where PyYAML's scanner stops (invalid YAML, reported elsewhere), the
    scalars found so far are blanked and the rest is scanned line by line as before.
    """
    import yaml

    lines = text.splitlines()

    def blank(line: int, start: int, end: int | None = None) -> None:
        if line < len(lines):
            end = len(lines[line]) if end is None else end
            lines[line] = lines[line][:start] + " " * len(lines[line][start:end]) + lines[line][end:]

    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            start, end = token.start_mark, token.end_mark
            if not isinstance(token, yaml.ScalarToken) or start.line == end.line:
                continue
            block = token.style in ("|", ">")
            first = start.line + 1 if block else start.line
            for line in range(first, end.line):
                blank(line, 0 if block or line > start.line else start.column)
            blank(end.line, 0, end.column)
    except yaml.YAMLError:
        pass
    return lines


def _comments(text: str, kind: str) -> list[tuple[int, int, str]]:
    """(line, 0-based col, comment text) for every comment that mentions noqa."""
    found: list[tuple[int, int, str]] = []
    if kind == "python":
        import io
        import tokenize

        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT and "noqa" in token.string.lower():
                    found.append((token.start[0], token.start[1], token.string))
        except (tokenize.TokenError, SyntaxError):  # parse errors are reported by the parser
            pass
        return found
    for number, line in enumerate(_without_multiline_scalars(text), 1):
        if "noqa" not in line.lower():
            continue
        col = _yaml_comment(line)
        if col is not None:
            found.append((number, col, line[col:]))
    return found


def _codes(match: re.Match) -> tuple[str, ...] | None:
    """None for a bare noqa; otherwise this tool's codes only (possibly none)."""
    codes = match.group("codes")
    if not codes:
        return None
    return tuple(c for c in (part.strip().upper() for part in codes.split(",")) if c.startswith(OWN_PREFIX))


def find_suppressions(text: str, kind: str) -> list[Suppression]:
    if "noqa" not in text.lower():
        return []
    suppressions: list[Suppression] = []
    for line, col, comment in _comments(text, kind):
        match = _FILE.match(comment) or _FILE.search(comment)
        file_level = match is not None
        match = match or _LINE.search(comment)
        if match is None:
            continue
        codes = _codes(match)
        if codes == ():
            continue  # only other tools' codes
        suppressions.append(Suppression(line, col + match.start() + 1, col + match.end() + 1, codes, file_level, kind))
    return suppressions


def apply_suppressions(
    diagnostics: list[Diagnostic], suppressions: list[Suppression], enabled: frozenset[str], path: str
) -> list[Diagnostic]:
    """Drop suppressed diagnostics; add NMP001 for suppressions (or codes) that matched nothing."""
    if not suppressions:
        return diagnostics
    by_line: dict[int, list[Suppression]] = {}
    whole_file = [s for s in suppressions if s.file_level]
    for suppression in suppressions:
        if not suppression.file_level:
            by_line.setdefault(suppression.line, []).append(suppression)
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        matching = [s for s in whole_file + by_line.get(diagnostic.line, []) if s.covers(diagnostic.code)]
        for suppression in matching:
            suppression.used.add(diagnostic.code)
        if not matching:
            kept.append(diagnostic)
    if UNUSED_NOQA in enabled:
        kept.extend(_unused(suppressions, enabled, path))
    return kept


def _unused(suppressions: list[Suppression], enabled: frozenset[str], path: str) -> list[Diagnostic]:
    rule = RULES[UNUSED_NOQA]
    out: list[Diagnostic] = []
    for s in suppressions:
        if s.codes is None:
            problems = [] if s.used or s.kind == "python" else ["suppresses nothing"]
        else:
            problems = []
            for code in s.codes:
                if code not in RULES:
                    problems.append(f"names unknown rule {code}")
                elif code not in s.used and code in enabled:
                    problems.append(f"{code} suppresses nothing here")
        if problems:
            where = "file-level noqa" if s.file_level else "noqa"
            out.append(Diagnostic(path, s.line, s.col, s.line, s.end_col, rule.code, rule.name, rule.severity,
                                  f"unused {where}: {'; '.join(problems)}"))
    return out
