"""Mutation check of the NeMo 1.0 semantics: flip each rule once and see whether a unit test notices.

Every comparison, boolean, membership test, numeric default and literal compared against in the fact
modules (migrate/legacy/{precision,optimizer,scaler,fp8,families,roles,versions}.py) is mutated one
at a time (== <-> !=, < <-> <=, in <-> not in, and <-> or, not x -> x, True <-> False, n -> n+1,
"fp32" -> "MUTATED"), plus hand-written mutations of rules named in the issues (e.g. "accept float32
where NeMo compares with the literal 'fp32'"). Each mutant runs the fact module's own unit tests
(tests/semantics/) in a copy of the package; a mutant is killed when a test fails.

    python bench/mutation_check.py [--module fp8] [--jobs 2] [--list-survivors]

Prints the score per module and the surviving mutants (file:line, what changed). Message strings
and docstrings are never mutated: they are wording, not rules. Mutants that cannot change any
observable result are listed in EQUIVALENT with the reason: they still run, are reported in their own
column and left out of the score (killed / (mutants - equivalent)); a listed one that a test kills,
or an entry that matches no mutant, is reported as stale.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "precision": "tests/semantics/test_precision_facts.py",
    "optimizer": "tests/semantics/test_optimizer_facts.py",
    "scaler": "tests/semantics/test_scaler_facts.py",
    "fp8": "tests/semantics/test_fp8_facts.py",
    "families": "tests/semantics/test_families.py tests/semantics/test_optimizer_facts.py tests/semantics/test_roles_and_releases.py",
    "roles": "tests/semantics/test_roles_and_releases.py",
    "versions": "tests/semantics",
}
# Rules the issues name explicitly: (module, old text, new text, what the mutant claims).
NAMED = [
    ("optimizer", 'elif state.value != "fp32" or state.origin.kind != "default":', "elif False:",
     "optim.dtype is irrelevant for the grad-sync default"),
    ("optimizer", 'return Setting("fp32" if value == "fp32" or not half else compute, sync.origin)',
     'return Setting("fp32" if value in ("fp32", "float32") or not half else compute, sync.origin)',
     "accept float32 where NeMo 1.0 compares with the literal 'fp32'"),
    ("fp8", 'for flag in ("mcore_gpt", "mcore_bert", "mcore_t5"):', 'for flag in ("mcore_gpt",):',
     "drop mcore_bert/mcore_t5 from the code-path choice"),
    ("scaler", 'for key in ("mcore_bert", "bert_binary_head"):', "for key in ():",
     "recognise the BERT trainer builder by its name only"),
    ("scaler", 'if "bert" in lowered:', 'if "bert" == lowered:', "recognise the BERT builder only by an exact name"),
]
# Known-equivalent mutants: (module, text on the mutated line, mutation, why no observable result can change).
# Keep this list short: a distinction no result depends on is better removed from the code.
EQUIVALENT = [
    ("families", "@dataclass(frozen=True)", "True -> False",
     "Aligner is a value object nothing assigns to: frozen=True only guards against a write no code makes"),
    ("versions", "@dataclass(frozen=True)", "True -> False",
     "Release is a value object nothing assigns to: frozen=True only guards against a write no code makes"),
]
_SWAP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    description: str
    source: str
    equivalent: str | None = None  # why it cannot change a result (from EQUIVALENT)


class _Finder(ast.NodeVisitor):
    """Collects the positions of mutable nodes, skipping docstrings and message strings."""

    def __init__(self) -> None:
        self.sites: list[tuple[ast.AST, str]] = []
        self._in_message = 0

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:  # f-strings are messages
        return

    def visit_Call(self, node: ast.Call) -> None:
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("note", "fail", "NotExpressible", "Skip", "InputError", "_refuse", "derived_from", "default", "option"):
            self.visit(node.func)
            return  # their arguments are wording
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            if type(op) in _SWAP:
                self.sites.append((node, f"op{index}"))
        for index, comparator in enumerate(node.comparators):
            if isinstance(comparator, ast.Constant) and isinstance(comparator.value, str):
                self.sites.append((node, f"str{index}"))
            if isinstance(comparator, (ast.Tuple, ast.Set, ast.List)) and len(comparator.elts) > 1:
                for element in range(len(comparator.elts)):
                    self.sites.append((node, f"drop{index}.{element}"))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.sites.append((node, "boolop"))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.sites.append((node, "not"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            self.sites.append((node, "bool"))
        elif isinstance(node.value, int) and not isinstance(node.value, bool):
            self.sites.append((node, "int"))

    def visit_Expr(self, node: ast.Expr) -> None:  # docstrings
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return
        self.generic_visit(node)


def _apply(tree: ast.Module, target: ast.AST, kind: str) -> str:
    if kind.startswith("op"):
        index = int(kind[2:])
        old = target.ops[index]
        target.ops[index] = _SWAP[type(old)]()
        text = f"{type(old).__name__} -> {type(target.ops[index]).__name__}"
    elif kind.startswith("str"):
        index = int(kind[3:])
        old = target.comparators[index].value
        target.comparators[index] = ast.Constant("MUTATED")
        text = f"{old!r} -> 'MUTATED'"
    elif kind.startswith("drop"):
        index, element = (int(x) for x in kind[4:].split("."))
        container = target.comparators[index]
        dropped = ast.unparse(container.elts[element])
        container.elts = [e for i, e in enumerate(container.elts) if i != element]
        text = f"drop {dropped} from the compared set"
    elif kind == "boolop":
        target.op = ast.Or() if isinstance(target.op, ast.And) else ast.And()
        text = f"{'and -> or' if isinstance(target.op, ast.Or) else 'or -> and'}"
    elif kind == "not":
        target.op = ast.UAdd()  # `+x` on a bool keeps its truth value: `not` removed
        text = "not removed"
    elif kind == "bool":
        target.value = not target.value
        text = f"{not target.value} -> {target.value}"
    else:
        target.value = target.value + 1
        text = f"{target.value - 1} -> {target.value}"
    return text


def _equivalent(module: str, line_text: str, description: str) -> str | None:
    for name, text, mutation, why in EQUIVALENT:
        if name == module and text in line_text and mutation == description:
            return why
    return None


def mutants(module: str) -> list[Mutant]:
    path = ROOT / "migrate" / "legacy" / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    count = len(_sites(source))
    found = []
    for number in range(count):
        tree = ast.parse(source)
        node, kind = _sites_of(tree)[number]
        text = _apply(tree, node, kind)
        line = getattr(node, "lineno", 0)
        why = _equivalent(module, lines[line - 1] if line else "", text)
        found.append(Mutant(module, line, text, ast.unparse(tree), why))
    for name, old, new, why in NAMED:
        if name == module:
            assert old in source, f"named mutation no longer applies: {old}"
            line = source[: source.index(old)].count("\n") + 1
            found.append(Mutant(module, line, f"named: {why}", source.replace(old, new, 1)))
    return found


def _sites(source: str) -> list:
    return _sites_of(ast.parse(source))


def _sites_of(tree: ast.Module) -> list:
    finder = _Finder()
    finder.visit(tree)
    return finder.sites


def _run(mutant: Mutant, copy_root: Path) -> bool:
    """True when the unit tests kill the mutant (fail, error or time out)."""
    work = Path(tempfile.mkdtemp(prefix="mutant-", dir=copy_root))
    try:
        # The copy runs from its own directory: `python -m pytest` puts the working directory first on
        # sys.path, so running from the checkout would import the unmutated package.
        shutil.copytree(ROOT / "migrate", work / "migrate", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "tests" / "semantics", work / "tests" / "semantics", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "tests" / "conftest.py", work / "tests" / "conftest.py")
        shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
        (work / "migrate" / "legacy" / f"{mutant.module}.py").write_text(mutant.source, encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1")
        tests = MODULES[mutant.module].split()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            check=False, cwd=work, env=env, capture_output=True, timeout=300,
        )
        return done.returncode != 0
    except subprocess.TimeoutExpired:
        return True
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list-survivors", action="store_true")
    args = parser.parse_args()
    chosen = args.module or list(MODULES)
    started = time.perf_counter()
    copy_root = Path(tempfile.mkdtemp(prefix="mutation-check-"))
    survivors: list[Mutant] = []
    equivalent: list[Mutant] = []
    stale: list[str] = []
    print(f"{'module':<10} {'mutants':>8} {'killed':>8} {'equivalent':>11} {'score':>7}")
    total = killed_total = equivalent_total = 0
    try:
        for module in chosen:
            candidates = mutants(module)
            stale += [f"{module}: {text!r} {mutation}: matches no mutant" for name, text, mutation, why in EQUIVALENT
                      if name == module and not any(m.equivalent == why for m in candidates)]
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(lambda m: _run(m, copy_root), candidates))
            killed = sum(results)
            stale += [f"{m.module}.py:{m.line}: {m.description}: listed as equivalent but a test kills it"
                      for m, k in zip(candidates, results) if k and m.equivalent]
            same = [m for m, k in zip(candidates, results) if not k and m.equivalent]
            equivalent += same
            survivors += [m for m, k in zip(candidates, results) if not k and not m.equivalent]
            total += len(candidates)
            killed_total += killed
            equivalent_total += len(same)
            scored = max(len(candidates) - len(same), 1)
            print(f"{module:<10} {len(candidates):>8} {killed:>8} {len(same):>11} {killed / scored:>7.1%}", flush=True)
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)
    scored = max(total - equivalent_total, 1)
    print(f"{'all':<10} {total:>8} {killed_total:>8} {equivalent_total:>11} {killed_total / scored:>7.1%}"
          f"  ({time.perf_counter() - started:.0f} s)")
    named = [m for m in survivors if m.description.startswith("named")]
    print(f"named rule mutations surviving: {len(named)} of {len(NAMED)}")
    if args.list_survivors or named:
        for mutant in survivors:
            print(f"  survived: migrate/legacy/{mutant.module}.py:{mutant.line}: {mutant.description}")
    if args.list_survivors:
        for mutant in equivalent:
            print(f"  equivalent: migrate/legacy/{mutant.module}.py:{mutant.line}: {mutant.description} ({mutant.equivalent})")
    for line in stale:
        print(f"  stale EQUIVALENT entry: {line}")
    return 1 if named or stale else 0


if __name__ == "__main__":
    sys.exit(main())
