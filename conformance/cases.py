"""The project's side of every comparison: the inputs, what `convert` writes for them, and what
`verify` says each side trains with. Runs in the project's own environment (it imports `migrate`).

Inputs are every YAML under fixtures/ that converts (a first line `# nemo-migrate-args: ...` gives
its --set / --env / --nemo1-version, as for the golden tests) and, when a corpus directory is given
(`--corpus DIR` or the `NEMO_MIGRATE_CORPUS_DEV` variable the tests also read), every config in it
that converts.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.convert import ConvertOptions, convert_config, load_config
from migrate.errors import InputError
from migrate.legacy.overrides import parse_env, parse_override
from migrate.verify.check import structural_check

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS_VARIABLE = "NEMO_MIGRATE_CORPUS_DEV"
ARGS_MARKER = "# nemo-migrate-args:"


@dataclass(frozen=True)
class Input:
    """One legacy YAML and the options its fixture header asks for."""

    id: str  # "fixtures/convert/fp32.yaml" or "corpus/NAME.yaml"
    path: Path
    sets: tuple[str, ...] = ()
    envs: tuple[str, ...] = ()
    nemo1_version: str = "1.23"

    def options(self, **changes: Any) -> ConvertOptions:
        base = dict(overrides=tuple(parse_override(s) for s in self.sets), env=parse_env(self.envs),
                    nemo1_version=self.nemo1_version)
        return ConvertOptions(**{**base, **changes})


@dataclass
class Case:
    """One input prepared for one environment: the text to run there and verify's column for it."""

    input: Input
    text: str  # convert's output (target stacks) or the legacy YAML (nemo1)
    expected: dict[str, Any]  # verify's column: row key -> value
    expected_errors: tuple[str, ...] = ()  # what verify says the real code raises
    why: dict[str, str] = field(default_factory=dict)  # row key -> verify's reason

    @property
    def id(self) -> str:
        return self.input.id


def corpus_dir(explicit: str | None = None) -> Path | None:
    """The extra corpus: `explicit` (--corpus), else $NEMO_MIGRATE_CORPUS_DEV; None when neither names a directory."""
    chosen = explicit or os.environ.get(CORPUS_VARIABLE)
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise SystemExit(f"corpus {chosen!r} is not a directory")
    return path


def _header_options(path: Path) -> dict[str, Any]:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
    if not first or not first[0].startswith(ARGS_MARKER):
        return {}
    args = shlex.split(first[0][len(ARGS_MARKER):])
    found: dict[str, list[str]] = {"--set": [], "--env": [], "--nemo1-version": []}
    for flag, value in zip(args[::2], args[1::2]):
        if flag in found:
            found[flag].append(value)
    options: dict[str, Any] = {"sets": tuple(found["--set"]), "envs": tuple(found["--env"])}
    if found["--nemo1-version"]:
        options["nemo1_version"] = found["--nemo1-version"][-1]
    return options


def collect_inputs(corpus: Path | None) -> list[Input]:
    """Fixture YAMLs (with their header options) and corpus YAMLs, in a stable order."""
    inputs = []
    for path in sorted(FIXTURES.rglob("*.y*ml")):
        inputs.append(Input(path.relative_to(ROOT).as_posix(), path, **_header_options(path)))
    if corpus is not None and corpus.is_dir():
        for path in sorted(corpus.glob("*.y*ml")):
            inputs.append(Input(f"corpus/{path.name}", path))
    return inputs


def prepare_target(item: Input, target: str, target_nemo: str = "2.5") -> Case | None:
    """convert's output for `target` and verify's migrated column for it; None if it does not convert."""
    options = item.options(target=target, target_nemo=target_nemo)
    try:
        converted = convert_config(load_config(str(item.path), options), options)
        if converted.status != "converted":
            return None
        result = structural_check(str(item.path), options, installed=False)  # the tables, whatever is installed here
    except (InputError, RecursionError):
        return None
    migrated = result.migrated
    return Case(item, converted.output, {k: e.value for k, e in migrated.entries.items()}, tuple(migrated.errors),
                {k: e.why for k, e in migrated.entries.items()})
