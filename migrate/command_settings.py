"""The settings one `convert` or `verify` run uses, resolved once from the command line, `--config` and
`[tool.nemo-migrate]` (the same table `lint` reads), each with where it came from.

`per-file-nemo1-version` gives a glob its own NeMo 1.x release; `select`/`ignore`/`per-file-ignores`
and `# noqa` comments in the YAML choose which findings are printed (the REVIEW and notes blocks of
the generated file always list every finding: they are the record of the migration); `exclude`
filters the files found in directories, and files named on the command line too with
`--force-exclude` (what pre-commit needs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from migrate.settings import Choice, ConfigError, FileSettings, excluded_by, load_settings, nemo1_version_for, resolve
from migrate.usage import UsageError

TRAINER_BUILDERS = ("gpt", "bert", "t5", "lmpp")


@dataclass(frozen=True)
class CommandSettings:
    command: str
    files: FileSettings
    nemo1: Choice
    target_nemo: Choice  # the value as given; `release`/`container` below are what it names
    release: str
    container: str | None
    builder: Choice
    selection: object  # lint.selection.Selection
    exclude: tuple[str, ...]
    force_exclude: bool
    color: bool
    base: object  # convert.ConvertOptions without the per-file release

    def relative(self, path: str) -> str:
        try:
            return Path(os.path.abspath(path)).relative_to(self.files.root).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def options_for(self, path: str):
        """The ConvertOptions of one input: its NeMo 1.x release may come from per-file-nemo1-version."""
        choice = nemo1_version_for(self.files, self.relative(path), self.nemo1)
        return replace(self.base, nemo1_version=str(choice.value),
                       nemo1_version_from="default" if choice.source == "the default" else choice.source)

    def excluded(self, path: str, named: bool) -> bool:
        """Files found in directories match `exclude`; files named on the command line only with --force-exclude."""
        if named and not self.force_exclude:
            return False
        return excluded_by(self.exclude, self.relative(path))

    def show(self, path: str, result) -> tuple:
        """The findings of one converted run to print: selected for this file, not `# noqa`-ed in the YAML."""
        from migrate.codes import code_for
        from migrate.lint.suppression import find_suppressions

        enabled = self.selection.enabled_for(self.relative(path))
        text = getattr(result, "text", None) or ""
        suppressions = find_suppressions(text, "yaml") if "noqa" in text else []
        shown = []
        for finding in result.findings:
            code = code_for(finding.code, finding.severity)
            if code not in enabled:
                continue
            line = finding.origin.line if finding.origin is not None and finding.origin.path is None else None
            if any(s.covers(code) and (s.file_level or s.line == line) for s in suppressions):
                continue
            shown.append(finding)
        return tuple(shown)

    def describe(self) -> str:
        """`--show-settings`: every resolved setting and where it came from."""
        rows = [
            ("settings file", self.files.source or "none found (no pyproject.toml with [tool.nemo-migrate])", ""),
            ("project root", str(self.files.root), ""),
            ("nemo1-version", self.nemo1.value, self.nemo1.source),
            ("target-nemo", f"{self.target_nemo.value} (NeMo {self.release}{', container ' + self.container if self.container else ''})",
             self.target_nemo.source),
            ("trainer-builder", self.builder.value or "guessed per config", self.builder.source),
            ("select", ", ".join(self.selection.select), ""),
            ("extend-select", ", ".join(self.selection.extend_select) or "-", ""),
            ("ignore", ", ".join(self.selection.ignore) or "-", ""),
            ("exclude", ", ".join(self.exclude) or "-", "applies to named files too" if self.force_exclude else "directories only"),
        ]
        for pattern, version in self.files.values.get("per-file-nemo1-version", {}).items():
            rows.append((f"per-file-nemo1-version {pattern!r}", version, str(self.files.source)))
        for pattern, codes in self.files.values.get("per-file-ignores", {}).items():
            rows.append((f"per-file-ignores {pattern!r}", ", ".join(codes), str(self.files.source)))
        width = max(len(name) for name, _, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" + (f"  ({source})" if source else "") for name, value, source in rows)


def _split(values) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return tuple(out)


def _color(request) -> bool:
    if request.color == "never":
        return False
    if request.color == "always":
        return True
    env = request.environ
    return not env.get("NO_COLOR") and (bool(env.get("FORCE_COLOR")) or os.isatty(2))


def resolve_command_settings(request, command: str) -> CommandSettings:
    """Settings of one run of `command` (convert or verify); UsageError when an option or setting is wrong."""
    from migrate import nemo_releases
    from migrate.convert import ConvertOptions
    from migrate.legacy.overrides import OverrideSyntaxError, parse_env, parse_override
    from migrate.legacy.versions import DEFAULT_NEMO1_VERSION, resolve_version
    from migrate.lint.selection import Selection, SelectorError

    try:
        files = load_settings(list(request.config))
    except ConfigError as error:
        raise UsageError(str(error), "--config") from None
    conf = files.values
    nemo1 = resolve(files, "nemo1-version", request.nemo1_version, "--nemo1-version", DEFAULT_NEMO1_VERSION)
    for version in [nemo1.value, *conf.get("per-file-nemo1-version", {}).values()]:
        try:
            resolve_version(str(version))
        except ValueError as error:
            raise UsageError(f"nemo1-version {version}: {error}", "--nemo1-version") from None
    target = resolve(files, "target-nemo", request.target_nemo, "--target-nemo", nemo_releases.DEFAULT)
    try:
        named = nemo_releases.resolve_target_nemo(str(target.value))
    except nemo_releases.NeMo3Error:
        if request.target == "nemo2":
            raise UsageError(f"--target-nemo {target.value}: {nemo_releases.NEMO3_MESSAGE}", "--target-nemo") from None
        named = nemo_releases.TargetNemo(nemo_releases.DEFAULT)
    except nemo_releases.TargetNemoError as error:
        raise UsageError(f"--target-nemo {target.value}: {error}", "--target-nemo") from None
    builder = resolve(files, "trainer-builder", request.trainer_builder, "--trainer-builder", None)
    if builder.value is not None and builder.value not in TRAINER_BUILDERS:
        raise UsageError(f"--trainer-builder {builder.value!r} is not one of {', '.join(TRAINER_BUILDERS)}", "--trainer-builder")
    selection = Selection(
        select=_split(request.select) if request.select is not None else tuple(conf.get("select", ("ALL",))),
        extend_select=tuple(conf.get("extend-select", ())) + _split(request.extend_select),
        ignore=tuple(conf.get("ignore", ())) + _split(request.ignore),
        per_file_ignores=tuple((k, tuple(v)) for k, v in conf.get("per-file-ignores", {}).items()),
    )
    try:
        selection.validate()
    except SelectorError as error:
        raise UsageError(str(error), "--select") from None
    try:
        overrides = tuple(parse_override(item) for item in request.set_values)
        env = parse_env(list(request.env_values))
    except OverrideSyntaxError as error:
        raise UsageError(str(error), "--set") from None
    base = ConvertOptions(
        overrides=overrides,
        env=env,
        nemo1_version=str(nemo1.value),
        target_nemo=named.release,
        target_container=named.container,
        target=request.target,
        nemo1_version_from="default" if nemo1.source == "the default" else nemo1.source,
        target_nemo_from=target.source,
        trainer_builder=builder.value,
        run=request.run,
    )
    return CommandSettings(
        command=command,
        files=files,
        nemo1=nemo1,
        target_nemo=target,
        release=named.release,
        container=named.container,
        builder=builder,
        selection=selection,
        exclude=tuple(conf.get("exclude", ())) + _split(getattr(request, "exclude", ())),
        force_exclude=getattr(request, "force_exclude", False),
        color=_color(request),
        base=base,
    )
