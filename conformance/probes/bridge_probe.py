"""Runs inside a Megatron Bridge environment: `python bridge_probe.py CASES.json OUT.json TE_VERSION`.

For each module `convert --target bridge` wrote: run it, then hand its `mixed_precision` (a
MixedPrecisionConfig or a recipe name) to `migrate/verify/installed/bridge.py`, the code `verify`
runs where Megatron Bridge is installed (the module's docstring lists its one stand-in).
"""

from __future__ import annotations

import json
import sys

from migrate.verify.installed.bridge import config_facts, load_mixed_precision, scale_func_assignments, versions
from migrate.verify.installed.standins import error_text


def probe(case: dict, te_version: str, scale_assignments: list[str]) -> dict:
    namespace: dict = {"__name__": "converted"}
    try:
        exec(compile(case["text"], case["id"], "exec"), namespace)  # the project's own output
        config = namespace["mixed_precision"]
    except Exception as error:
        return {"id": case["id"], "exception": "construct: " + error_text(error)}
    facts = config_facts(config, te_version, namespace.get("optimizer_config_overrides"), scale_assignments)
    if "exception" in facts:
        return {"id": case["id"], "exception": facts["exception"]}
    return {"id": case["id"], "facts": facts, "exception": facts["refusal"]}


def main(cases_path: str, out_path: str, te_version: str) -> None:
    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    load_mixed_precision()
    scale_assignments = scale_func_assignments()
    results = [probe(case, te_version, scale_assignments) for case in cases]
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump({"versions": versions(), "results": results}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
