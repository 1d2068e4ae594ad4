"""One legacy YAML in, one NeMo 2.0 module (or a skip notice, or a located error) out."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.emit.nemo2_module import render_nemo2_module
from migrate.emit.nemo2_plan import plan_nemo2
from migrate.emit.signatures import DEFAULT_TARGET_NEMO
from migrate.errors import InputError, Location
from migrate.legacy.layout import Skip, detect_layout
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
    target_nemo: str = DEFAULT_TARGET_NEMO  # a release: a key of the signature tables
    target_container: str | None = None  # the NeMo Framework container tag it was given as, if any
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


def load_config(path: str, options: ConvertOptions, stdin_name: str = "<stdin>") -> LegacyConfig:
    if path == "-":
        from migrate.inputs import read_stdin_text

        document = parse_yaml(read_stdin_text(stdin_name), stdin_name)
    else:
        document = read_yaml_file(path)
    return LegacyConfig(document, options.overrides, options.env)


def spec_for(config: LegacyConfig, options: ConvertOptions) -> PrecisionSpec | Skip:
    layout = detect_layout(config)
    if isinstance(layout, Skip):
        return layout
    return build_spec(config, layout, nemo1_profile(options.nemo1_version))


def render_target(spec: PrecisionSpec, options: ConvertOptions) -> tuple[str, tuple[Finding, ...]]:
    """The output text for the chosen target and the findings to report with it."""
    if options.target == "bridge":
        from migrate.emit.bridge_module import render_bridge

        return render_bridge(spec)
    if options.target == "automodel":
        from migrate.emit.automodel_yaml import render_automodel

        return render_automodel(spec)
    plan = plan_nemo2(spec, options.target_nemo)
    return render_nemo2_module(spec, plan, options.target_container), plan.findings


def convert_config(config: LegacyConfig, options: ConvertOptions) -> ConvertResult:
    try:
        spec = spec_for(config, options)
        if isinstance(spec, Skip):
            return ConvertResult(config.path, "skipped", message=spec.reason)
        output, findings = render_target(spec, options)
    except InputError as error:
        return ConvertResult(config.path, "failed", message=str(error))
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
