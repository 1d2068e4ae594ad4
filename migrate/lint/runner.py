"""Run the selected rules over files: read, classify, check, suppress, sort."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import InputError, Location
from migrate.lint.context import (
    AutomodelContext,
    CachedConfig,
    LegacyContext,
    LintOptions,
)
from migrate.lint.diagnostic import Diagnostic
from migrate.lint.filekind import is_automodel, is_python
from migrate.lint.registry import RULES, UNREADABLE_INPUT, UNUSED_NOQA, rules_for
from migrate.lint.rule import Rule
from migrate.lint.selection import Selection
from migrate.lint.suppression import apply_suppressions, find_suppressions


@dataclass(frozen=True)
class LintSettings:
    options: LintOptions = field(default_factory=LintOptions)
    selection: Selection = field(default_factory=Selection)
    root: Path = field(default_factory=Path.cwd)
    # (glob, NeMo 1.x release) of `per-file-nemo1-version`, first match wins; empty when the command
    # line names a release (it beats the table, as for convert)
    per_file_nemo1: tuple[tuple[str, str], ...] = ()

    def for_file(self, relative: str) -> "LintSettings":
        """These settings with the NeMo 1.x release `per-file-nemo1-version` gives this file, if any."""
        if not self.per_file_nemo1:
            return self
        from dataclasses import replace

        from migrate.settings import matches

        for pattern, version in self.per_file_nemo1:
            if matches(pattern, relative):
                return replace(self, options=replace(self.options, nemo1_version=version))
        return self


@dataclass
class FileResult:
    """`kind` is legacy/automodel/python, or "skipped" (nothing to lint) or "error" (`error` says why,
    and the one diagnostic is that error as NMP002, so that every output format shows it)."""

    path: str
    kind: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str | None = None
    error: str | None = None
    related: dict[str, str] = field(default_factory=dict)  # texts of files Hydra composed into this one


def unreadable(error: InputError, text: str | None = None) -> FileResult:
    """The result of a file that could not be read or parsed."""
    from migrate.report import error_line

    location = error.location
    line = error_line(InputError(location, error.message, UNREADABLE_INPUT))  # the NMP002 diagnostic, on stderr too
    return FileResult(location.path, "error", [input_diagnostic(error)], text, line)


def input_diagnostic(error: InputError) -> Diagnostic:
    """An InputError as an NMP002 diagnostic at its location (the file's start when it has none)."""
    rule = RULES[UNREADABLE_INPUT]
    line, col = error.location.line or 1, error.location.col or 1
    return Diagnostic(error.location.path, line, col, line, col + 1, rule.code, rule.name, rule.severity, error.message)


def relative_to_root(path: str, root: Path) -> str:
    """The path relative to the project root in `/` form, or as given when outside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


class RuleCrash(Exception):
    """A rule failed on input it did not expect: reported as an unreadable file, not a traceback."""

    def __init__(self, code: str, error: Exception) -> None:
        super().__init__(f"internal error in rule {code} ({type(error).__name__}: {error}); please report it")


def _run(rules: list[Rule], ctx, enabled: frozenset[str], path: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    unread: set[tuple[int | None, int | None, str]] = set()
    for rule in rules:
        if rule.code not in enabled and not rule.refusal:
            continue
        try:
            reports = list(rule.check(ctx))
        except InputError as error:
            if getattr(ctx, "spec_error", None) is not None:
                continue  # the legacy config cannot be evaluated: NMP100 or a refusal rule reports why
            key = (error.location.line, error.location.col, error.message)
            if key not in unread:  # a value several rules need is reported once
                unread.add(key)
                out.append(input_diagnostic(InputError(Location(path, *key[:2]), f"{rule.code} could not read a value "
                                                       f"it needs: {error.message}")))
            continue
        except Exception as error:  # one failing rule must not end the run with a traceback
            raise RuleCrash(rule.code, error) from error
        if rule.refusal:
            ctx.refusal_lines.update(r.line for r in reports)
            if rule.code not in enabled:
                continue
        out.extend(
            Diagnostic(r.path or path, r.line, r.col, r.end_line, r.end_col, rule.code, rule.name, rule.severity,
                       f"{r.message} (in the run composed from {path})" if r.path else r.message)
            for r in reports
        )
    return out


def _legacy_rules() -> list[Rule]:
    """Refusal rules first: NMP100 must know which lines they reported."""
    rules = rules_for("legacy")
    return [r for r in rules if r.refusal] + [r for r in rules if not r.refusal]


def _lint_yaml(text: str, path: str, settings: LintSettings, enabled: frozenset[str]) -> FileResult:
    from migrate.legacy.compose import compose_document
    from migrate.legacy.fragments import fragment_reason
    from migrate.legacy.layout import Skip
    from migrate.legacy.roles import detect_runs
    from migrate.legacy.yamlsource import parse_yaml

    document = parse_yaml(text, path)
    if is_automodel(document.data):
        ctx = AutomodelContext(document)
        return FileResult(path, "automodel", _run(rules_for("automodel"), ctx, enabled, path), text)
    document = compose_document(document, dict(settings.options.env), on_disk=not path.startswith("<"))
    related = {f.path: f.text for f in document.composition.included} if document.composition else {}
    config = CachedConfig(document, dict(settings.options.env))
    runs = detect_runs(config)
    if isinstance(runs, Skip) or fragment_reason(config) is not None:  # a group file is no run
        return FileResult(path, "skipped", [], text)
    diagnostics: list[Diagnostic] = []
    for layout in runs:  # a file holding several runs (actor, critic) is checked run by run
        ctx = LegacyContext(config, layout, settings.options)
        diagnostics.extend(d for d in _run(_legacy_rules(), ctx, enabled, path) if d not in diagnostics)
    return FileResult(path, "legacy", diagnostics, text, related=related)


def _lint_python(text: str, path: str, settings: LintSettings, enabled: frozenset[str]) -> FileResult:
    from migrate.lint.python_targets import TRIGGER_WORDS

    if not any(word in text for word in TRIGGER_WORDS):
        return FileResult(path, "skipped", [], text)
    from migrate.lint.python_source import python_context  # imports libcst
    from migrate.nemo2.source_guard import tree_work

    with tree_work():
        ctx = python_context(text, path, settings.options.target_nemo)
        return FileResult(path, "python", _run(rules_for("python"), ctx, enabled, path), text)


def lint_text(text: str, path: str, settings: LintSettings) -> FileResult:
    """Lint one file's text; `path` is the name reported (and matched by the per-file tables)."""
    relative = relative_to_root(path, settings.root)
    settings = settings.for_file(relative)
    enabled = settings.selection.enabled_for(relative)
    python = is_python(path, text)
    try:
        if python:
            result = _lint_python(text, path, settings, enabled)
        else:
            result = _lint_yaml(text, path, settings, enabled)
    except InputError as error:
        return unreadable(error, text)
    except RecursionError:
        return unreadable(InputError(Location(path), "nested too deeply"), text)
    except RuleCrash as crash:
        return unreadable(InputError(Location(path), str(crash)), text)
    suppressions = find_suppressions(text, "python" if python else "yaml")
    own = [d for d in result.diagnostics if d.path not in result.related]
    kept = apply_suppressions(own, suppressions, enabled, path)
    for other, other_text in result.related.items():  # `# noqa` in a composed file covers its own lines
        theirs = [d for d in result.diagnostics if d.path == other]
        kept += apply_suppressions(theirs, find_suppressions(other_text, "yaml"), enabled - {UNUSED_NOQA}, other)
    result.diagnostics = sorted(kept, key=lambda d: (d.path != path, d.path, d.line, d.col, d.code, d.message))
    return result


def lint_file(path: str, settings: LintSettings) -> FileResult:
    from migrate.inputs import read_input_text

    try:
        text = read_input_text(path)
    except InputError as error:
        return unreadable(error)
    return lint_text(text, path, settings)


__all__ = ["RULES", "FileResult", "LintSettings", "lint_file", "lint_text", "relative_to_root", "unreadable"]
