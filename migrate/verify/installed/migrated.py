"""Which migrated side verify uses: the installed stack's own classes when `nemo.lightning` (NeMo 2.x)
or `megatron.bridge` can be imported here, else nemo-migrate's tables.

The script is still never executed: libcst reads its literal arguments (the same reading as the
tables use), and the real class is constructed from them. An installed release the project has no
signature table for, a `--target-nemo` naming another release than the installed one, or a stack
that fails to import falls back to the tables, and the report's `migrated side:` line says why.
NeMo AutoModel has no installed path: its config loader imports every `_target_` the YAML names,
which verify must not do.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from migrate.verify.effective import Effective, Entry


def _installed(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def installed_nemo2() -> str | None:
    found = _installed("nemo_toolkit")
    return found if found and found.split(".", 1)[0] == "2" else None


def installed_bridge() -> str | None:
    return _installed("megatron-bridge")


def _effective(rows: dict[str, Any], label: str, errors: list[str], source: str) -> Effective:
    entries = {key: Entry(value, f"{label}: read from the real objects") for key, value in rows.items()}
    return Effective("migrated", entries, tuple(errors), source=source)


def installed_effective(text: str, shown: str, options) -> tuple[Effective | None, str | None]:
    """(the migrated column from the installed stack, its `migrated side:` line), or (None, why the
    tables are used although the stack is installed), or (None, None) when it is not installed."""
    if options.target == "nemo2":
        return _nemo2(text, shown, options)
    if options.target == "bridge":
        return _bridge(text, shown)
    return None, None


def _nemo2(text: str, shown: str, options) -> tuple[Effective | None, str | None]:
    from migrate.verify.nemo2_signatures import PARAMETERS
    from migrate.verify.nemo2_side import PluginCall, read_plugin

    found = installed_nemo2()
    if found is None:
        return None, None
    release = ".".join(found.split(".")[:2])
    if release not in PARAMETERS:
        return None, f"installed nemo_toolkit {found} is a release nemo-migrate has no tables for"
    if options.target_nemo != release and options.target_nemo_from != "the default":
        return None, f"--target-nemo {options.target_nemo} names another release than the installed nemo_toolkit {found}"
    call = read_plugin(text, shown, release)
    if not isinstance(call, PluginCall):
        return None, "the script sets a trainer precision flag, which the tables model"
    arguments = {name: value for name, (value, written) in call.arguments.items() if written}
    label = f"nemo_toolkit {found}"
    try:
        from migrate.verify.installed import nemo2

        facts = nemo2.facts_from_arguments(arguments, _te_version(nemo2.DEFAULT_TE_VERSION))
        if "exception" in facts:
            return Effective("migrated", {}, (facts["exception"],), source=shown), f"{label}, installed"
        errors = [facts["refusal"]] if facts.get("refusal") else []
        return _effective(nemo2.rows(facts), label + ' (MegatronMixedPrecision -> Megatron-core configs and recipe)', errors, shown), f"{label}, installed"
    except Exception as error:  # noqa: BLE001 - an installed NeMo that cannot run here leaves the tables
        return None, f"installed nemo_toolkit {found} could not be used ({type(error).__name__}: {error})"


def _bridge(text: str, shown: str) -> tuple[Effective | None, str | None]:
    from migrate.verify.bridge_side import literal_source

    found = installed_bridge()
    if found is None:
        return None, None
    recipe, positional, arguments = literal_source(text, shown)
    label = f"megatron-bridge {found}"
    try:
        from migrate.verify.installed import bridge

        facts = bridge.facts_from_literal(recipe, positional, arguments, _te_version(bridge.DEFAULT_TE_VERSION))
        if "exception" in facts:
            return Effective("migrated", {}, (facts["exception"],), source=shown), f"{label}, installed"
        errors = [facts["refusal"]] if facts.get("refusal") else []
        return _effective(bridge.rows(facts), label + ' (MixedPrecisionConfig.finalize/setup -> Megatron-core configs and recipe)', errors, shown), f"{label}, installed"
    except Exception as error:  # noqa: BLE001
        return None, f"installed megatron-bridge {found} could not be used ({type(error).__name__}: {error})"


def _te_version(default: str) -> str:
    found = _installed("transformer-engine") or _installed("transformer_engine")
    return found.split("+", 1)[0] if found else default
