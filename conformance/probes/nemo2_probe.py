"""Runs inside a NeMo 2.x environment: `python nemo2_probe.py CASES.json OUT.json TE_VERSION`.

For each module `convert` wrote: run it (it only imports torch and nemo.lightning and constructs
`nl.MegatronMixedPrecision`), then hand the plugin it built to `migrate/verify/installed/nemo2.py`,
the code `verify` runs where NeMo 2.x is installed (the module's docstring says what it does).
"""

from __future__ import annotations

import json
import sys

from migrate.verify.installed.nemo2 import construct, mixed_precision_module, plugin_facts, scale_func_assignments
from migrate.verify.installed.standins import RecordingTE, error_text


def probe(case: dict, te_version: str, scale_assignments: list[str]) -> dict:
    te = RecordingTE(te_version)
    plugin_class = mixed_precision_module().MegatronMixedPrecision
    namespace: dict = {"__name__": "converted"}

    def build():
        exec(compile(case["text"], case["id"], "exec"), namespace)  # the project's own output, in this throw-away environment
        return [v for v in namespace.values() if isinstance(v, plugin_class)]

    try:
        plugins = construct(build, te)
    except Exception as error:
        return {"id": case["id"], "exception": "construct: " + error_text(error)}
    if len(plugins) != 1:
        return {"id": case["id"], "exception": f"construct: {len(plugins)} MegatronMixedPrecision objects in the module"}
    facts = plugin_facts(plugins[0], te, namespace.get("optimizer_config_overrides"), scale_assignments)
    return {"id": case["id"], "facts": facts, "exception": facts["refusal"]}


def main(cases_path: str, out_path: str, te_version: str) -> None:
    from importlib.metadata import version

    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    scale_assignments = scale_func_assignments()
    results = [probe(case, te_version, scale_assignments) for case in cases]
    versions = {name: version(name) for name in ("nemo-toolkit", "megatron-core", "torch")}
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump({"versions": versions, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
