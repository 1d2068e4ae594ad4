"""`nemo-migrate snapshot OLD.yaml -o legacy.json`: record the legacy side where the old training ran.

With NeMo 1.x importable (the old container), NeMo's own trainer builder and model compute the rows,
in a process of their own (`migrate.verify.installed.nemo1`, the code the `nemo1` conformance harness
runs); the rows NeMo's builders never reach come from nemo-migrate's model and say so. Without NeMo
1.x the record holds nemo-migrate's own model of the legacy side, and says that in the file and on
stderr. `verify OLD.yaml --legacy legacy.json` then compares the migrated side with the record.

Exit status: 0 written, 2 bad input (an unreadable or unconvertible YAML, a bad option, or a config
NeMo 1.x itself refuses), 4 NeMo 1.x is installed but its run failed (nothing written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

from migrate.errors import InputError, Location
from migrate.verify.effective import Entry

BAD_INPUT, RUN_FAILED = 2, 4
_SCRIPT_EDIT_WHY = "NeMo-Aligner's SFT script sets model.precision = trainer.precision before NeMo builds the model"


@dataclass(frozen=True)
class SnapshotArguments:
    """The command line of `snapshot` (the settings resolution shared with convert and verify reads it)."""

    yaml_path: str
    output: str
    set_values: tuple[str, ...] = ()
    env_values: tuple[str, ...] = ()
    nemo1_version: str | None = None
    trainer_builder: str | None = None
    run: str | None = None
    config: tuple[str, ...] = ()
    quiet: bool = False  # errors and warnings only, no "wrote" line
    verbose: bool = False  # also every recorded row and where it came from
    target: str = "nemo2"
    target_nemo: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    color: str = "never"
    environ: dict = field(default_factory=lambda: dict(os.environ))


class NemoRunFailed(Exception):
    """NeMo 1.x is installed but the process computing the rows did not finish."""


def installed_nemo1() -> str | None:
    """The installed nemo_toolkit version when it is a 1.x release (read from its metadata: NeMo is not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("nemo_toolkit")
    except PackageNotFoundError:
        return None
    return found if found.split(".", 1)[0] == "1" else None


def script_sets(config, layout) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the training script does to the config before NeMo's builders see it: (overrides, why).
    Only NeMo-Aligner's SFT script is known to edit a precision key (train_gpt_sft.py:126-127)."""
    from migrate.legacy import families

    aligner = families.aligner(config, layout)
    if aligner is None or aligner.algorithm != "sft" or not layout.model:
        return (), ()
    model_parent, _, _ = layout.model.rpartition(".")
    trainer_parent, _, trainer_leaf = layout.trainer.rpartition(".")
    # relative when the sections are siblings, so the edit also resolves inside a launcher package
    source = f"..{trainer_leaf}.precision" if model_parent == trainer_parent else layout.trainer_key("precision")
    return (f"{layout.key('precision')}=${{{source}}}",), (_SCRIPT_EDIT_WHY,)


def nemo1_case(config, layout, options, builders: tuple[str, ...], case_id: str) -> dict:
    """The input of `migrate.verify.installed.nemo1` for one run of a config (shared with the conformance harness)."""
    import yaml

    from migrate.convert import group_choice
    from migrate.verify.installed.nemo1 import BUILDER_CLASSES

    document = config.document
    text = document.text if document.composition is None else yaml.safe_dump(document.data, sort_keys=False)
    edits, _ = script_sets(config, layout)
    sets = [o.text for o in options.overrides if not group_choice(o)] + list(edits)
    case = {"id": case_id, "text": text, "builders": [BUILDER_CLASSES[b] for b in builders], "sets": sets,
            "env": dict(options.env)}
    if layout.model != "model" or layout.trainer != "trainer":
        case["sections"] = {"model": layout.model, "trainer": layout.trainer}
    return case


def run_installed_nemo1(cases: list[dict], python: str | None = None) -> dict:
    """Run `migrate.verify.installed.nemo1` on `cases` in a process of its own; its answer."""
    with tempfile.TemporaryDirectory(prefix="nemo-migrate-snapshot-") as scratch:
        cases_path, answer_path = os.path.join(scratch, "cases.json"), os.path.join(scratch, "answer.json")
        with open(cases_path, "w", encoding="utf-8") as handle:
            json.dump(cases, handle)
        command = [python or sys.executable, "-m", "migrate.verify.installed.nemo1", cases_path, answer_path]
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not os.path.exists(answer_path):
            last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
            raise NemoRunFailed(f"exit {done.returncode}: {last[0]}")
        with open(answer_path, encoding="utf-8") as handle:
            return json.load(handle)


def nemo_rows(facts: dict, model_rows: dict[str, Entry], nemo_version: str) -> dict[str, Entry]:
    """The record's rows from NeMo's answer; rows its builders never reach from nemo-migrate's model."""
    from migrate.verify.installed.nemo1_rows import NOT_OBSERVED, legacy_rows

    rows = {key: Entry(value, f"nemo_toolkit {nemo_version}: {why}") for key, (value, why) in legacy_rows(facts).items()}
    for key in NOT_OBSERVED:
        if key in model_rows and (key != "fp8_params" or "fp8_format" in rows and rows["fp8_format"].value is not None):
            entry = model_rows[key]
            rows[key] = Entry(entry.value, f"nemo-migrate's model (NeMo's builders stop before it): {entry.why}")
    return rows


def _layout_of(config, spec):
    from migrate.legacy.roles import detect_runs

    runs = detect_runs(config)
    return next(layout for layout in runs if layout.run == spec.run)


def run_snapshot(arguments: SnapshotArguments) -> int:
    from migrate import __version__
    from migrate.atomic import write_atomic
    from migrate.command_settings import resolve_command_settings
    from migrate.convert import load_config, spec_for
    from migrate.legacy.layout import Skip
    from migrate.verify.installed.nemo1 import BUILDER_CLASSES
    from migrate.report import error_line
    from migrate.verify.legacy_record import record_document, sha256_of
    from migrate.verify.legacy_side import legacy_effective

    settings = resolve_command_settings(arguments, "snapshot")
    path = arguments.yaml_path
    options = settings.options_for(path)
    try:
        config = load_config(path, options)
        spec = spec_for(config, options)
        if isinstance(spec, Skip):
            raise InputError(Location(path), f"not a NeMo 1.0 training config: {spec.reason}")
        digest = sha256_of(path)
    except InputError as error:
        print(error_line(error), file=sys.stderr)
        return BAD_INPUT
    except OSError as error:
        print(f"{path}: error: {error.strerror or error}", file=sys.stderr)
        return BAD_INPUT
    except RecursionError:
        print(f"{path}: nested too deeply", file=sys.stderr)
        return BAD_INPUT
    builder = spec.trainer_builder.value
    builder_from = spec.trainer_builder.origin.describe()
    model_rows = legacy_effective(spec).entries
    notes: list[str] = []
    nemo = installed_nemo1()
    if nemo is not None:
        layout = _layout_of(config, spec)
        if not layout.model or not all(isinstance(config.section(key), dict) for key in (layout.model, layout.trainer)):
            print(f"{path}: error: NeMo's trainer builders need a model and a trainer section, and this run lacks one "
                  "(a model config, inference or incomplete file); nothing written", file=sys.stderr)
            return BAD_INPUT
        case = nemo1_case(config, layout, options, (builder,), path)
        notes += list(script_sets(config, layout)[1])
        try:
            response = run_installed_nemo1([case])
        except NemoRunFailed as error:
            print(f"{path}: error: NeMo {nemo} is installed but computing the legacy side failed ({error}); nothing written",
                  file=sys.stderr)
            return RUN_FAILED
        answer = response["results"][0]
        if answer.get("not_run") or answer.get("exception"):
            why = answer.get("not_run") or f"NeMo {nemo} refuses this config: {answer['exception']}"
            print(f"{path}: error: {why} ({BUILDER_CLASSES[builder]}); nothing written", file=sys.stderr)
            return BAD_INPUT
        recipe_error = (answer["facts"].get("recipe") or {}).get("error")
        if recipe_error:
            print(f"{path}: error: NeMo {nemo} is installed but Megatron-core's FP8 recipe code failed here ({recipe_error}); "
                  "nothing written", file=sys.stderr)
            return RUN_FAILED
        rows = nemo_rows(answer["facts"], model_rows, nemo)
        versions = {**response["versions"], "transformer-engine (recorded by a stand-in)": response["te_version"]}
        source, side = "nemo", f"nemo_toolkit {nemo}, installed ({BUILDER_CLASSES[builder]})"
    else:
        rows, versions = dict(model_rows), {}
        source = "model"
        side = f"nemo-migrate {__version__}'s model of NeMo {spec.nemo1_version} (NeMo 1.x was not importable where the record was made)"
        print(f"{path}: NeMo 1.x is not importable here: {arguments.output} holds nemo-migrate's own model of the "
              "legacy side, not NeMo's; run snapshot where the old training ran for NeMo's values", file=sys.stderr)
    rows["trainer_builder"] = Entry(builder, builder_from)
    versions = {"nemo-migrate": __version__, **versions}
    text = record_document(config=path, config_sha256=digest, run=arguments.run, sets=tuple(o.text for o in options.overrides),
                           nemo1_version=spec.nemo1_version, source=source, legacy_side=side, versions=versions,
                           trainer_builder=builder, trainer_builder_from=builder_from, rows=rows, notes=tuple(notes))
    try:
        write_atomic(arguments.output, text)
    except InputError as error:
        print(error_line(error), file=sys.stderr)
        return BAD_INPUT
    if arguments.verbose:
        for key, entry in rows.items():
            print(f"  {key} = {entry.value!r}: {entry.why}", file=sys.stderr)
    if not arguments.quiet:
        print(f"wrote {arguments.output}: legacy side from {side}; trainer builder {builder} ({builder_from})", file=sys.stderr)
    return 0
