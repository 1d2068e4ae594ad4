"""`nemo-migrate lint` end to end: settings, files, rules, output, summary, exit status.

Exit status: 0 clean (or --exit-zero), 1 a diagnostic at or above the failure severity, 2 a usage or
configuration error or an unreadable input. Results go to stdout (or --output-file); progress and
the summary go to stderr.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass, field

from migrate.legacy.versions import DEFAULT_NEMO1_VERSION
from migrate.lint.context import LintOptions
from migrate.lint.diagnostic import SEVERITIES, severity_rank
from migrate.lint.files import collect_files
from migrate.lint.output import FORMATS, RenderInput, render
from migrate.errors import InputError, Location
from migrate.lint.runner import FileResult, LintSettings, lint_file, lint_text, unreadable
from migrate.lint.selection import Selection, SelectorError
from migrate.lint.summary import summary_line
from migrate.settings import ConfigError, load_settings
from migrate.nemo_releases import DEFAULT, TargetNemoError, resolve_target_nemo

ENV_OUTPUT_FORMAT = "NEMO_MIGRATE_OUTPUT_FORMAT"
DEFAULT_FAIL_ON = "warning"


@dataclass(frozen=True)
class LintRequest:
    """The command line, with None where an option was not given (configuration may then decide)."""

    paths: tuple[str, ...]
    output_format: str | None = None
    output_file: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    config: tuple[str, ...] = ()
    fail_on: str | None = None
    exit_zero: bool = False
    quiet: bool = False
    color: str = "auto"
    statistics: bool = False
    stdin_filename: str | None = None
    nemo1_version: str | None = None
    target_nemo: str | None = None
    env: tuple[str, ...] = ()  # NAME=VALUE for ${oc.env:NAME}
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    min_severity: str | None = None  # lowest severity shown (default: --fail-on's)
    show_info: bool = False  # same as --min-severity info
    exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    show_settings: bool = False
    show_files: bool = False
    verbose: bool = False


class UsageError(Exception):
    pass


def _split(values) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _choice(value: str, choices, what: str) -> str:
    if value not in choices:
        raise UsageError(f"{what}: {value!r} is not one of {', '.join(choices)}")
    return value


def _nemo1_version(value: str) -> str:
    from migrate.legacy.versions import resolve_version

    try:
        resolve_version(str(value))
    except ValueError as error:
        raise UsageError(f"nemo1-version: {error}") from None
    return str(value)


def _target_nemo(value: str) -> str:
    """The release a target-nemo setting (release or container tag) names."""
    try:
        return resolve_target_nemo(value).release
    except TargetNemoError as error:
        raise UsageError(f"target-nemo {value}: {error}") from None


def _resolve(request: LintRequest):

    file_settings = load_settings(list(request.config))
    conf = file_settings.values
    select = _split(request.select) if request.select is not None else tuple(conf.get("select", ("ALL",)))
    selection = Selection(
        select=select,
        extend_select=tuple(conf.get("extend-select", ())) + _split(request.extend_select),
        ignore=tuple(conf.get("ignore", ())) + _split(request.ignore),
        per_file_ignores=tuple((k, tuple(v)) for k, v in conf.get("per-file-ignores", {}).items()),
    )
    selection.validate()
    env = request.environ
    fmt = request.output_format or env.get(ENV_OUTPUT_FORMAT) or conf.get("output-format")
    if fmt is None:
        fmt = "github" if env.get("GITHUB_ACTIONS", "").lower() not in ("", "0", "false") else "full"
    _choice(fmt, FORMATS, "output format")
    fail_on = _choice(request.fail_on or conf.get("fail-on", DEFAULT_FAIL_ON), SEVERITIES, "fail-on")
    from migrate.legacy.overrides import OverrideSyntaxError, parse_env

    try:
        env_values = tuple(parse_env(request.env).items())
    except OverrideSyntaxError as error:
        raise UsageError(str(error)) from None
    options = LintOptions(
        env=env_values,
        nemo1_version=_nemo1_version(request.nemo1_version or conf.get("nemo1-version", DEFAULT_NEMO1_VERSION)),
        target_nemo=_target_nemo(request.target_nemo or conf.get("target-nemo", DEFAULT)),
    )
    per_file_nemo1 = () if request.nemo1_version else tuple(
        (pattern, _nemo1_version(version)) for pattern, version in conf.get("per-file-nemo1-version", {}).items())
    settings = LintSettings(options=options, selection=selection, root=file_settings.root, per_file_nemo1=per_file_nemo1)
    if request.show_info:
        shown = "info"
    else:
        shown = _choice(request.min_severity or conf.get("min-severity", fail_on), SEVERITIES, "min-severity")
    exclude = tuple(conf.get("exclude", ())) + _split(request.exclude)
    if request.show_settings:
        print(_describe(file_settings, request, fmt, fail_on, shown, selection, options, exclude, per_file_nemo1))
        raise _Shown()
    return settings, fmt, fail_on, exclude, shown


def _use_color(request: LintRequest, fmt: str) -> bool:
    if fmt not in ("full", "concise") or request.color == "never":
        return False
    if request.color == "always":
        return True
    env = request.environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return request.output_file in (None, "-") and sys.stdout.isatty()


def _statistics(diagnostics) -> str:
    from migrate.lint.registry import RULES

    counts = Counter(d.code for d in diagnostics)
    return "".join(f"{counts[code]:6d}  {code}  {RULES[code].name}\n" for code in sorted(counts))


class _Shown(Exception):
    """--show-settings printed what it had to: stop with status 0."""


def _source(files, key: str, given, option: str) -> str:
    """Where one setting came from, worded as convert's and verify's --show-settings word it."""
    from migrate.settings import resolve

    return resolve(files, key, given, option, None).source


def _describe(files, request, fmt, fail_on, shown, selection, options, exclude, per_file_nemo1=()) -> str:
    """`--show-settings`: every resolved setting and where it came from (the layout convert and verify use)."""
    from migrate.nemo_releases import resolve_target_nemo

    env = request.environ
    if request.output_format:
        fmt_source = "--output-format on the command line"
    elif env.get(ENV_OUTPUT_FORMAT):
        fmt_source = f"{ENV_OUTPUT_FORMAT} in the environment"
    elif "output-format" in files.values:
        fmt_source = _source(files, "output-format", None, "--output-format")
    else:
        fmt_source = "GITHUB_ACTIONS is set" if fmt == "github" else "the default"
    shown_source = ("--show-info on the command line" if request.show_info
                    else _source(files, "min-severity", request.min_severity, "--min-severity"))
    if shown_source == "the default":
        shown_source = "the default: the fail-on severity"
    given = request.target_nemo or files.values.get("target-nemo", DEFAULT)
    target = resolve_target_nemo(given)
    rows = [
        ("settings file", files.source or "none found (no pyproject.toml with [tool.nemo-migrate])", ""),
        ("project root", str(files.root), ""),
        ("output-format", fmt, fmt_source),
        ("fail-on", fail_on, _source(files, "fail-on", request.fail_on, "--fail-on")),
        ("min-severity", shown, shown_source),
        ("nemo1-version", options.nemo1_version, _source(files, "nemo1-version", request.nemo1_version, "--nemo1-version")),
        ("target-nemo", f"{given} (NeMo {target.release}{', container ' + target.container if target.container else ''})",
         _source(files, "target-nemo", request.target_nemo, "--target-nemo")),
        ("select", ", ".join(selection.select), _source(files, "select", request.select, "--select")),
        ("extend-select", ", ".join(selection.extend_select) or "-", ""),
        ("ignore", ", ".join(selection.ignore) or "-", ""),
        ("exclude", ", ".join(exclude) or "-", "applies to named files too" if request.force_exclude else "directories only"),
    ]
    rows += [(f"per-file-ignores {pattern!r}", ", ".join(codes), str(files.source)) for pattern, codes in selection.per_file_ignores]
    rows += [(f"per-file-nemo1-version {pattern!r}", version, str(files.source)) for pattern, version in per_file_nemo1]
    width = max(len(name) for name, _, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" + (f"  ({source})" if source else "") for name, value, source in rows)


def run_lint(request: LintRequest) -> int:
    from migrate.usage import print_usage_error

    try:
        settings, fmt, fail_on, exclude, shown = _resolve(request)
    except _Shown:
        return 0
    except (ConfigError, SelectorError, UsageError) as error:
        print_usage_error(str(error), "lint")
        return 2
    files, missing = collect_files(list(request.paths), exclude, force_exclude=request.force_exclude,
                                   root=settings.root)
    if request.show_files:
        print("\n".join(files + missing) if files or missing else "", end="\n" if files or missing else "")
        return 0
    results: list[FileResult] = [unreadable(InputError(Location(path), "no such file or directory")) for path in missing]
    errors = [result.error for result in results if result.error]
    show_progress = not request.quiet and len(files) > 50 and sys.stderr.isatty()
    for number, path in enumerate(files, 1):
        if path == "-":
            result = _lint_stdin(request.stdin_filename or "<stdin>", settings)
        else:
            result = lint_file(path, settings)
        results.append(result)
        if result.error:
            errors.append(result.error)
        if show_progress and number % 25 == 0:
            print(f"\rlinted {number}/{len(files)} files", end="", file=sys.stderr, flush=True)
    if show_progress:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
    for line in errors:
        print(line, file=sys.stderr)

    every = [d for r in results for d in r.diagnostics]
    threshold = severity_rank(shown)
    diagnostics = [d for d in every if severity_rank(d.severity) >= threshold]  # what every format shows
    summary = summary_line(diagnostics, len(results), len(errors), len(every) - len(diagnostics), shown)
    data = RenderInput(
        diagnostics=diagnostics,
        files=[r.path for r in results],
        sources={
            **{other: text for r in results if r.diagnostics for other, text in r.related.items()},
            **{r.path: r.text for r in results if r.text is not None and r.diagnostics},
        },
        root=settings.root,
        selected=settings.selection.enabled(),
        color=_use_color(request, fmt),
        summary=summary,
    )
    text = _statistics(diagnostics) if request.statistics else render(fmt, data)
    if request.output_file and request.output_file != "-":  # `-o -` is stdout, as for convert and verify
        from migrate.atomic import write_atomic

        try:
            write_atomic(request.output_file, text)
        except InputError as error:
            from migrate.report import error_line

            print(error_line(error), file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    summary_path = request.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary_path:
        from migrate.lint.output.github import step_summary

        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(step_summary(data))
    if not request.quiet:
        print(summary, file=sys.stderr)

    if errors:
        return 2
    threshold = severity_rank(fail_on)
    failing = any(severity_rank(d.severity) >= threshold for d in every)
    return 1 if failing and not request.exit_zero else 0


def _lint_stdin(name: str, settings) -> FileResult:
    from migrate.inputs import read_stdin_text

    from migrate.lint.runner import unreadable

    try:
        text = read_stdin_text(name)
    except InputError as error:
        return unreadable(error)
    return lint_text(text, name, settings)
