"""`nemo-migrate verify`: both sides, the structural check, and (where possible) the numeric check.

The legacy side comes from the YAML's PrecisionSpec; the migrated side from Python read back with
libcst: the file given with --generated/--script, or the module `convert` produces for the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.convert import ConvertOptions, convert_config, load_config, spec_for
from migrate.errors import InputError, Location
from migrate.legacy.layout import Skip
from migrate.nemo_releases import nemo_label
from migrate.verify.effective import Effective
from migrate.verify.legacy_side import legacy_effective
from migrate.verify.nemo2_side import nemo2_effective, read_plugin
from migrate.verify.recipes import RunConfig, run_config
from migrate.verify.structural import StructuralResult, compare
from migrate.verify.verdict import DIFFERS, EQUAL, WITHIN, worst

GENERATED = "<generated>"


@dataclass
class VerifyResult:
    yaml_path: str
    python_path: str  # GENERATED when produced by convert
    legacy: Effective
    migrated: Effective
    structural: StructuralResult
    legacy_run: RunConfig
    migrated_run: RunConfig
    numeric: object | None = None  # numeric.NumericResult
    numeric_skipped: str | None = None  # why the numeric check did not run
    numeric_failed: str | None = None  # the error that stopped the numeric check (exit status 4)
    benchmark: object | None = None  # benchmark.BenchResult
    strict: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    target: str = "nemo2"  # "nemo2" | "bridge" | "automodel"
    torchao_recipe: str | None = None  # automodel: the torchao float8 recipe of the migrated side
    target_release: str | None = None  # nemo2: the release whose plugin semantics applied ("NeMo 2.6 (container 25.11)")
    legacy_source: str = ""  # where the legacy column came from (the report's `legacy side:` line)
    migrated_source: str = ""  # where the migrated column came from (`migrated side:`)

    @property
    def approximate(self) -> bool:
        """AutoModel cannot run the legacy FP8 recipe: compared within a tolerance, never bitwise."""
        return self.target == "automodel"

    @property
    def outcome(self) -> str:
        """EQUAL (equivalent; AutoModel: within its approximate tolerance), WITHIN (differs within
        tolerance: only what the target cannot express differs) or DIFFERS (not equivalent)."""
        if not self.structural.equivalent(self.strict):
            return DIFFERS
        if self.numeric is None:
            return EQUAL
        if self.approximate:
            return EQUAL if self.numeric.within_tolerance else DIFFERS
        outcome = self.numeric.outcome
        scaling = self.numeric.loss_scaling
        if self.strict and scaling is not None and scaling.rule_difference:
            outcome = worst(outcome, DIFFERS)  # --strict counts NeMo 1.0's inexpressible scaler rule
        return outcome

    @property
    def equivalent(self) -> bool:
        return self.outcome == EQUAL

    @property
    def within_tolerance(self) -> bool:
        return self.outcome == WITHIN


def read_python(path: str) -> str:
    from migrate.inputs import read_input_text

    return read_input_text(path)


def structural_check(yaml_path: str, options: ConvertOptions, python_path: str | None = None, strict: bool = False,
                     record=None, installed: bool = True) -> VerifyResult:
    """Both sides and their row-by-row comparison (CPU only). InputError on bad input. `record` (a
    legacy_record.LegacyRecord from `snapshot`) replaces nemo-migrate's model as the legacy column;
    `installed` False keeps the migrated column on nemo-migrate's tables even where the stack is installed."""
    config = load_config(yaml_path, options)
    spec = spec_for(config, options)
    if isinstance(spec, Skip):
        raise InputError(Location(yaml_path), f"not a NeMo 1.0 training config: {spec.reason}")
    if record is not None:
        legacy, legacy_source = record.effective(), record.describe()
    else:
        legacy = legacy_effective(spec)
        legacy_source = f"nemo-migrate's model of NeMo {spec.nemo1_version} (`snapshot` records NeMo's own values)"
    if python_path is None:
        converted = convert_config(config, options)
        if converted.status != "converted":
            raise InputError(Location(yaml_path), converted.message or "conversion failed")
        text, shown = converted.output, GENERATED
    else:
        text, shown = read_python(python_path), python_path
    migrated, migrated_source = migrated_side(text, shown, options, installed)
    if options.target == "automodel":
        from migrate.verify.approximate import compare_approximate
        from migrate.verify.automodel_side import TORCHAO_RECIPES

        structural = compare_approximate(legacy, migrated)
        recipe = migrated.value("recipe_class") and next(
            (name for name, spec in TORCHAO_RECIPES.items() if spec[2] == migrated.value("recipe_class")), None)
        # The torchao side trains without a TE recipe; its float8 conversion is named separately.
        migrated_run = RunConfig("migrated", migrated.value("precision"), None, None)
        return VerifyResult(yaml_path, shown, legacy, migrated, structural, run_config(legacy), migrated_run,
                            strict=strict, target=options.target, torchao_recipe=recipe, legacy_source=legacy_source,
                            migrated_source=migrated_source)
    structural = compare(legacy, migrated)
    release = nemo_label(options.target_nemo, options.target_container) if options.target == "nemo2" else None
    return VerifyResult(yaml_path, shown, legacy, migrated, structural, run_config(legacy), run_config(migrated),
                        strict=strict, target=options.target, target_release=release, legacy_source=legacy_source,
                        migrated_source=migrated_source)


def migrated_side(text: str, shown: str, options: ConvertOptions, installed: bool = True) -> tuple[Effective, str]:
    """The migrated column and where it came from: the installed stack's own classes when it can be
    imported here (migrate.verify.installed), else nemo-migrate's tables."""
    from migrate.verify.bridge_recipes import BRIDGE_VERSION
    from migrate.verify.installed.migrated import installed_effective

    found, note = installed_effective(text, shown, options) if installed else (None, None)
    if found is not None:
        return found, note
    stack = {"nemo2": f"NeMo {options.target_nemo}", "bridge": f"Megatron Bridge {BRIDGE_VERSION}",
             "automodel": "NeMo AutoModel"}[options.target]
    return migrated_effective(text, shown, options), f"nemo-migrate's tables of {stack}" + (f" ({note})" if note else "")


def migrated_effective(text: str, shown: str, options: ConvertOptions) -> Effective:
    """The migrated side for the chosen target, read back from its text (never executed)."""
    if options.target == "bridge":
        from migrate.verify.bridge_side import bridge_effective, read_bridge

        return bridge_effective(read_bridge(text, shown))
    if options.target == "automodel":
        from migrate.verify.automodel_side import automodel_effective, read_automodel

        return automodel_effective(read_automodel(text, shown))
    return nemo2_effective(read_plugin(text, shown, options.target_nemo))


def numeric_runnable(result: VerifyResult) -> str | None:
    """Why the numeric check cannot run for these two sides (independent of the machine), or None."""
    if result.structural.errors:
        return "the migrated plugin would not construct (see the errors above)"
    if result.migrated.value("amp_mode") == "half":
        return "the numeric check has no model of weights cast to half precision by Lightning's HalfPrecision"
    if result.approximate and (result.legacy_run.recipe is None or result.torchao_recipe is None):
        return "the approximate check compares TE FP8 with torchao FP8, and FP8 is not on in both runs"
    if result.approximate and result.legacy_run.dtype != "bf16":
        return "the approximate check trains in bf16; this legacy run trains in " + str(result.legacy_run.dtype)
    return None
