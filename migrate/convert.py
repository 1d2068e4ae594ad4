"""One legacy YAML in, one NeMo 2.0 module (or a skip notice, or a located error) out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from migrate.emit.nemo2_module import render_nemo2_module
from migrate.emit.nemo2_plan import plan_nemo2
from migrate.errors import InputError, Location
from migrate.legacy.compose import compose_document
from migrate.legacy.fragments import fragment_reason, inclusion_note
from migrate.legacy.layout import Skip, detect_layout
from migrate.legacy.origin import Origin
from migrate.legacy.overrides import Override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.semantics import build_spec
from migrate.legacy.versions import nemo1_profile
from migrate.legacy.yamlsource import parse_yaml, read_yaml_file
from migrate.spec import Finding, PrecisionSpec


TARGETS = ("nemo2", "bridge", "automodel")
OUTPUT_SUFFIX = {"nemo2": ".py", "bridge": ".py", "automodel": ".yaml"}


@dataclass(frozen=True)
class ConvertOptions:
    overrides: tuple[Override, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    nemo1_version: str = "1.23"
    target_nemo: str = "2.5"
    target: str = "nemo2"  # "nemo2" | "bridge" | "automodel"


@dataclass(frozen=True)
class ConvertResult:
    """status is "converted", "skipped" or "failed"."""

    path: str
    status: str
    output: str | None = None
    findings: tuple[Finding, ...] = ()
    message: str | None = None
    spec: PrecisionSpec | None = None


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


def spec_for(config: LegacyConfig, options: ConvertOptions) -> PrecisionSpec | Skip:
    fragment = fragment_reason(config)
    if fragment is not None:
        return Skip(fragment)
    layout = detect_layout(config)
    if isinstance(layout, Skip):
        stopped = [n.message for n in config.composition.notes if n.stops] if config.composition else []
        return Skip("; ".join([layout.reason, *stopped]))
    try:
        spec = build_spec(config, layout, nemo1_profile(options.nemo1_version))
    except InputError as error:
        # a value read from another composed file is reported at that file
        message = error.message
        included = inclusion_note(config) if config.composition is None else None
        if included is not None:
            message += f" (note: {included})"
        raise InputError(config.relocated(error.location), message) from None
    findings = _composition_findings(config)
    if not findings and config.composition is None:
        return spec
    included = config.composition is not None and config.composition.included
    return replace(
        spec,
        composition=config.composition.summary() if included else None,
        findings=findings + spec.findings,
    )


def composed_notice(spec: PrecisionSpec) -> tuple[Finding, ...]:
    """The line that says which files Hydra merged into this run."""
    if spec.composition is None:
        return ()
    return (Finding("hydra-composed", "notice", f"composed by Hydra from its defaults list: {spec.composition}"),)


def render_target(spec: PrecisionSpec, options: ConvertOptions) -> tuple[str, tuple[Finding, ...]]:
    """The output text for the chosen target and the findings to report with it."""
    if options.target == "bridge":
        from migrate.emit.bridge_module import render_bridge

        return render_bridge(spec)
    if options.target == "automodel":
        from migrate.emit.automodel_yaml import render_automodel

        return render_automodel(spec)
    plan = plan_nemo2(spec, options.target_nemo)
    return render_nemo2_module(spec, plan), plan.findings


def convert_config(config: LegacyConfig, options: ConvertOptions) -> ConvertResult:
    try:
        spec = spec_for(config, options)
        if isinstance(spec, Skip):
            return ConvertResult(config.path, "skipped", message=spec.reason)
        output, findings = render_target(spec, options)
    except InputError as error:
        return ConvertResult(config.path, "failed", message=str(error))
    findings = composed_notice(spec) + tuple(findings)
    return ConvertResult(config.path, "converted", output=output, findings=findings, spec=spec)


def convert_path(path: str, options: ConvertOptions) -> ConvertResult:
    try:
        config = load_config(path, options)
    except InputError as error:
        return ConvertResult(error.location.path, "failed", message=str(error))
    except RecursionError:
        return ConvertResult(
            path, "failed", message=str(InputError(Location(path), "YAML nested too deeply"))
        )
    return convert_config(config, options)
