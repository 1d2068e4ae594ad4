"""Legacy YAML inputs for the Megatron Bridge and NeMo AutoModel emitters, and their specs.

Inputs are every convertible fixtures/convert/*.yaml (not err_/skip_) plus fixtures/targets/inputs/
*.yaml. A first line `# nemo-migrate-args: ...` gives --set/--env/--nemo1-version as for convert.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from migrate.convert import ConvertOptions, spec_for
from migrate.legacy.overrides import parse_env, parse_override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION
from migrate.legacy.yamlsource import parse_yaml
from migrate.spec import PrecisionSpec

ROOT = Path(__file__).resolve().parent.parent.parent
TARGETS = ROOT / "fixtures" / "targets"
ARGS_MARKER = "# nemo-migrate-args:"

INPUTS = sorted(
    [p for p in (ROOT / "fixtures" / "convert").glob("*.yaml") if not p.stem.startswith(("err_", "skip_", "multi_run"))]
    + list((TARGETS / "inputs").glob("*.yaml")),
    key=lambda p: p.stem,
)


def _options(text: str) -> ConvertOptions:
    first = text.splitlines()[:1]
    if not first or not first[0].startswith(ARGS_MARKER):
        return ConvertOptions()
    args = shlex.split(first[0][len(ARGS_MARKER) :])
    sets, envs, version = [], [], DEFAULT_NEMO1_VERSION
    for flag, value in zip(args[::2], args[1::2]):
        if flag == "--set":
            sets.append(parse_override(value))
        elif flag == "--env":
            envs.append(value)
        elif flag == "--nemo1-version":
            version = value
    return ConvertOptions(overrides=tuple(sets), env=parse_env(envs), nemo1_version=version)


def spec_of(path: Path) -> PrecisionSpec:
    text = path.read_text(encoding="utf-8")
    options = _options(text)
    config = LegacyConfig(parse_yaml(text, path.relative_to(ROOT).as_posix()), options.overrides, options.env)
    spec = spec_for(config, options)
    assert isinstance(spec, PrecisionSpec), f"{path.name} does not convert"
    return spec


def findings_text(spec: PrecisionSpec, findings) -> str:
    from migrate.report import finding_line

    return "".join(finding_line(spec.source, f) + "\n" for f in findings)
