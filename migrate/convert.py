"""One legacy YAML in; one target output per training run in it (or a skip notice, or a located error) out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from migrate.emit.python_module import render_python_module
from migrate.errors import InputError, Location, Unreadable
from migrate.legacy.compose import compose_document
from migrate.legacy.fragments import fragment_reason, inclusion_note
from migrate.legacy.layout import Layout, Skip
from migrate.legacy.overrides import Override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.roles import detect_runs
from migrate.legacy.semantics import NotExpressible, build_spec
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION, nemo1_profile, resolve_version
from migrate.legacy.yamlsource import parse_yaml, read_yaml_file
from migrate.plan.targets import plan_bridge, plan_nemo2
from migrate.report import error_line
from migrate.spec import Finding, Origin, PrecisionSpec
from migrate.target_api.nemo2 import DEFAULT_TARGET_NEMO

OUTPUT_SUFFIX = {"nemo2": ".py", "bridge": ".py", "automodel": ".yaml"}


@dataclass(frozen=True)
class ConvertOptions:
    overrides: tuple[Override, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    nemo1_version: str = DEFAULT_NEMO1_VERSION
    target_nemo: str = DEFAULT_TARGET_NEMO  # a release: a key of the signature tables
    target_container: str | None = None  # the NeMo Framework container tag it was given as, if any
    target: str = "nemo2"  # "nemo2" | "bridge" | "automodel"
    nemo1_version_from: str = "default"  # "default", or where the release came from (option, settings file)
    target_nemo_from: str = "the default"  # where --target-nemo's value came from
    trainer_builder: str | None = None  # --trainer-builder; None: the heuristic
    run: str | None = None  # --run: one run of a file holding several (actor, critic)

    def release_origin(self) -> Origin:
        key, named = resolve_version(self.nemo1_version)
        release = f"NeMo {key}" + (f" ({named})" if named else "")
        if self.nemo1_version_from == "default":
            return Origin.default(f"{release} rules, the default (pass --nemo1-version for the release the job ran)")
        return Origin.option(f"{release} rules from {self.nemo1_version_from}")


@dataclass(frozen=True)
class ConvertResult:
    """status is "converted", "skipped" or "failed". A file with several runs has one part per run."""

    path: str
    status: str
    output: str | None = None
    findings: tuple[Finding, ...] = ()
    message: str | None = None
    spec: PrecisionSpec | None = None
    run: str | None = None
    parts: tuple[ConvertResult, ...] = ()
    text: str | None = None  # the converted YAML's text (for `# noqa` comments)


def group_choice(override: Override) -> bool:
    """`--set optim@model.optim=distributed_fused_adam` picks a Hydra group option, not a value."""
    return "@" in override.key


def load_config(path: str, options: ConvertOptions, stdin_name: str = "<stdin>") -> LegacyConfig:
    """The config as its run saw it: Hydra's defaults list composed (when it names files beside
    the config), then the `--set` values applied, as Hydra applies command-line overrides last."""
    if path == "-":
        from migrate.inputs import read_stdin_text

        document = parse_yaml(read_stdin_text(stdin_name), stdin_name)
    else:
        document = read_yaml_file(path)
    choices = tuple(o.text for o in options.overrides if group_choice(o))
    document = compose_document(document, options.env, choices, on_disk=path != "-")
    values = tuple(o for o in options.overrides if not group_choice(o))
    return LegacyConfig(document, values, options.env)


def _composition_findings(config: LegacyConfig) -> tuple[Finding, ...]:
    composition = config.composition
    if composition is None or not composition.included:
        included = inclusion_note(config)
        if included is not None:
            return (Finding("hydra-included", "warning", included),) + _notes(composition)
    return _notes(composition)


def _notes(composition) -> tuple[Finding, ...]:
    if composition is None:
        return ()
    return tuple(
        Finding(
            "hydra-defaults",
            note.severity,
            note.message + ("; converted on its own, without the files its defaults list names" if note.stops else ""),
            Origin("key", key="defaults", line=note.line, col=note.col) if note.line else None,
        )
        for note in composition.notes
    )


def _choose_runs(config: LegacyConfig, runs: list[Layout], options: ConvertOptions) -> list[Layout]:
    if options.run is None:
        return runs
    chosen = [layout for layout in runs if layout.run == options.run]
    if not chosen:
        names = ", ".join(layout.run for layout in runs if layout.run) or "none (a single run)"
        raise InputError(Location(config.path), f"--run {options.run}: no such run in this file (runs: {names})")
    return chosen


def specs_for(config: LegacyConfig, options: ConvertOptions) -> list[PrecisionSpec] | Skip:
    """One spec per training run of the file, or why there is none."""
    fragment = fragment_reason(config)
    if fragment is not None:
        return Skip(fragment, "fragment")
    runs = detect_runs(config)
    if isinstance(runs, Skip):
        stopped = [n.message for n in config.composition.notes if n.stops] if config.composition else []
        return Skip("; ".join([runs.reason, *stopped]), runs.role)
    release = nemo1_profile(options.nemo1_version)
    origin = options.release_origin()
    findings = _composition_findings(config)
    included = config.composition is not None and config.composition.included
    specs = []
    for layout in _choose_runs(config, runs, options):
        try:
            spec = build_spec(config, layout, release, origin, options.trainer_builder)
        except NotExpressible as error:
            where = f" ({error.origin.where()})" if error.origin.where() else ""
            return Skip(f"{error.message}{where}", "not-expressible")
        except InputError as error:
            # a value read from another composed file is reported at that file
            message = error.message
            note = inclusion_note(config) if config.composition is None else None
            if note is not None:
                message += f" (note: {note})"
            raise InputError(config.relocated(error.location), message, error.code) from None
        if findings or config.composition is not None:
            spec = replace(
                spec,
                composition=config.composition.summary() if included else None,
                findings=findings + spec.findings,
            )
        specs.append(spec)
    return specs


def spec_for(config: LegacyConfig, options: ConvertOptions) -> PrecisionSpec | Skip:
    """The spec of the file's one run (InputError when it holds several and --run chose none)."""
    specs = specs_for(config, options)
    if isinstance(specs, Skip):
        return specs
    if len(specs) > 1:
        names = ", ".join(spec.run or "?" for spec in specs)
        raise InputError(Location(config.path), f"holds {len(specs)} training runs ({names}): choose one with --run NAME")
    return specs[0]


def composed_notice(spec: PrecisionSpec) -> tuple[Finding, ...]:
    """The line that says which files Hydra merged into this run."""
    if spec.composition is None:
        return ()
    return (Finding("hydra-composed", "notice", f"composed by Hydra from its defaults list: {spec.composition}"),)


def render_target(spec: PrecisionSpec, options: ConvertOptions) -> tuple[str, tuple[Finding, ...]]:
    """The output text for the chosen target and the findings to report with it."""
    if options.target == "automodel":
        from migrate.emit.automodel_yaml import render_automodel

        return render_automodel(spec)
    plan = plan_bridge(spec) if options.target == "bridge" else plan_nemo2(spec, options.target_nemo)
    return render_python_module(spec, plan, options.target_container, options.target_nemo_from), plan.findings


def convert_config(config: LegacyConfig, options: ConvertOptions) -> ConvertResult:
    try:
        specs = specs_for(config, options)
        if isinstance(specs, Skip):
            return ConvertResult(config.path, "skipped", message=specs.reason)
        parts = []
        for spec in specs:
            output, findings = render_target(spec, options)
            findings = composed_notice(spec) + tuple(findings)
            parts.append(ConvertResult(config.path, "converted", output=output, findings=findings, spec=spec, run=spec.run,
                                       text=config.document.text))
    except InputError as error:
        return ConvertResult(config.path, "failed", message=error_line(error))
    if len(parts) == 1:
        return parts[0]
    return ConvertResult(config.path, "converted", parts=tuple(parts), text=config.document.text)


def convert_path(path: str, options: ConvertOptions) -> ConvertResult:
    try:
        config = load_config(path, options)
    except InputError as error:
        return ConvertResult(error.location.path, "failed", message=error_line(error))
    except RecursionError:
        return ConvertResult(path, "failed", message=error_line(Unreadable(Location(path), "YAML nested too deeply")))
    return convert_config(config, options)
