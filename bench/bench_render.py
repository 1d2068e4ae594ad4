"""Benchmark rendering the NeMo 2.x module: the way emit/python_module.py fills its template against
libcst's `parse_template_module`, next to the time of a whole conversion.

    python bench/bench_render.py [CORPUS_DIR]

python_module.py parses each template once and replaces its statements; `parse_template_module`
parses the template (with a `{header}` placeholder for the docstring) again for every module. Prints
CPU milliseconds per module (fastest of 5 passes over the corpus's convertible configs).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import libcst as cst  # noqa: E402
from libcst.helpers import parse_template_module  # noqa: E402

from migrate.convert import ConvertOptions, convert_path, load_config, spec_for  # noqa: E402
from migrate.emit import python_module  # noqa: E402
from migrate.emit.code import findings_footer  # noqa: E402
from migrate.errors import InputError  # noqa: E402
from migrate.legacy.layout import Skip  # noqa: E402
from migrate.plan.targets import plan_nemo2  # noqa: E402

TEMPLATE = "{header}\n\nfrom nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision()\n"


def via_parse_template_module(spec, plan) -> str:
    rendering = python_module._RENDERINGS["nemo2"]
    text = python_module._docstring(rendering, spec, plan, None, "the default")
    module = parse_template_module(TEMPLATE, header=cst.SimpleStatementLine([cst.Expr(cst.SimpleString(text))]))
    docstring, *imports, assignment = module.body
    body = [docstring, *imports, python_module._filled_call(assignment, plan)]
    return module.with_changes(body=body, footer=findings_footer(plan.findings, rendering.review_marker)).code


def fastest(work, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "dev"
    files = sorted(folder.glob("*.yaml")) or sorted((ROOT / "fixtures" / "convert").glob("*.yaml"))
    options = ConvertOptions()
    pairs = []
    for path in files:
        try:
            spec = spec_for(load_config(str(path), options), options)
        except InputError:
            continue
        if not isinstance(spec, Skip):
            pairs.append((spec, plan_nemo2(spec, options.target_nemo)))
    direct = fastest(lambda: [python_module.render_python_module(s, p) for s, p in pairs]) / len(pairs)
    template = fastest(lambda: [via_parse_template_module(s, p) for s, p in pairs]) / len(pairs)
    whole = fastest(lambda: [convert_path(str(path), options) for path in files], 3) / len(files)
    print(f"{len(pairs)} modules: python_module {direct * 1000:.2f} ms, parse_template_module {template * 1000:.2f} ms "
          f"per module; a whole conversion {whole * 1000:.2f} ms per file")


if __name__ == "__main__":
    main()
