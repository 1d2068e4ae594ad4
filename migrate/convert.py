"""One legacy YAML in; one target output per training run in it (or a skip notice, or a located error) out."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.emit.nemo2_module import render_nemo2_module
from migrate.emit.nemo2_plan import plan_nemo2
from migrate.emit.signatures import DEFAULT_TARGET_NEMO
from migrate.errors import InputError, Location
from migrate.legacy.layout import Layout, Skip
from migrate.legacy.origin import Origin
from migrate.legacy.overrides import Override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.roles import detect_runs
from migrate.legacy.semantics import NotExpressible, build_spec
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION, nemo1_profile, resolve_version
from migrate.legacy.yamlsource import parse_yaml, read_yaml_file
from migrate.spec import Finding, PrecisionSpec


TARGETS = ("nemo2", "bridge", "automodel")
OUTPUT_SUFFIX = {"nemo2": ".py", "bridge": ".py", "automodel": ".yaml"}


@dataclass(frozen=True)
class ConvertOptions:
    overrides: tuple[Override, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    nemo1_version: str = DEFAULT_NEMO1_VERSION
    target_nemo: str = DEFAULT_TARGET_NEMO  # a release: a key of the signature tables
    target_container: str | None = None  # the NeMo Framework container tag it was given as, if any
    target: str = "nemo2"  # "nemo2" | "bridge" | "automodel"
    nemo1_version_from: str = "default"  # "default", "--nemo1-version", or a settings file
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


def load_config(path: str, options: ConvertOptions, stdin_name: str = "<stdin>") -> LegacyConfig:
    if path == "-":
        from migrate.inputs import read_stdin_text

        document = parse_yaml(read_stdin_text(stdin_name), stdin_name)
    else:
        document = read_yaml_file(path)
    return LegacyConfig(document, options.overrides, options.env)


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
    runs = detect_runs(config)
    if isinstance(runs, Skip):
        return runs
    release = nemo1_profile(options.nemo1_version)
    origin = options.release_origin()
    specs = []
    for layout in _choose_runs(config, runs, options):
        try:
            specs.append(build_spec(config, layout, release, origin, options.trainer_builder))
        except NotExpressible as error:
            where = f" ({error.origin.where()})" if error.origin.where() else ""
            return Skip(f"{error.message}{where}", "not-expressible")
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
        specs = specs_for(config, options)
        if isinstance(specs, Skip):
            return ConvertResult(config.path, "skipped", message=specs.reason)
        parts = []
        for spec in specs:
            output, findings = render_target(spec, options)
            parts.append(ConvertResult(config.path, "converted", output=output, findings=findings, spec=spec, run=spec.run))
    except InputError as error:
        return ConvertResult(config.path, "failed", message=str(error))
    if len(parts) == 1:
        return parts[0]
    return ConvertResult(config.path, "converted", parts=tuple(parts))


def convert_path(path: str, options: ConvertOptions) -> ConvertResult:
    try:
        config = load_config(path, options)
    except InputError as error:
        return ConvertResult(error.location.path, "failed", message=str(error))
    except RecursionError:
        return ConvertResult(path, "failed", message=str(InputError(Location(path), "YAML nested too deeply")))
    return convert_config(config, options)
