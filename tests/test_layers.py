"""The package import graph points down: each part of `migrate` imports only the layers below it.

Every `import` of every module counts, including those inside functions (lazy imports are still
dependencies). Within one layer the parts are independent of each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "migrate"

# Bottom first. A name ending in "/" is a package, the others are modules of `migrate`.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors"),
    ("codes", "usage", "atomic", "inputs", "help_text"),
    ("spec", "target_api/"),  # the core: the precision spec, and what the target APIs accept
    ("legacy/", "nemo2/", "nemo_releases"),  # reading NeMo 1.x YAML, reading NeMo 2.x Python
    ("plan/",),  # spec -> what each target must say
    ("emit/",),  # plans -> files
    ("report", "preview", "settings"),
    ("convert",),
    ("codemod/", "lint/"),
    ("command_settings",),
    ("verify/", "convert_command"),
    ("cli",),
    ("entry",),
    ("__main__",),
)
LAYER = {part: index for index, parts in enumerate(LAYERS) for part in parts}


def _part(module: str) -> str:
    """`migrate.legacy.reader` -> "legacy/", `migrate.spec` -> "spec", `migrate` -> "__init__"."""
    names = module.split(".")[1:]
    if not names or not ((PACKAGE / names[0]).is_dir() or (PACKAGE / f"{names[0]}.py").exists()):
        return "__init__"  # `migrate` itself, or a name it defines (`__version__`)
    return names[0] + "/" if (PACKAGE / names[0]).is_dir() else names[0]


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "migrate":  # `from migrate import nemo_releases, __version__`
            return ["migrate." + alias.name for alias in node.names]
        return [node.module]
    return []


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> the files where that import is written."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT)
        module = ".".join(relative.with_suffix("").parts)
        source = _part(module.removesuffix(".__init__") if module != "migrate.__init__" else "migrate")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported(node):
                if name == "migrate" or name.startswith("migrate."):
                    target = _part(name)
                    if target != source:
                        edges.setdefault((source, target), []).append(relative.as_posix())
    return edges


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part("migrate." + p.name.removesuffix(".py")) for p in PACKAGE.iterdir()
             if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts - set(LAYER) == set(), "add the new module or package to LAYERS"


def test_imports_only_point_down() -> None:
    upward = [
        f"{source} -> {target} ({', '.join(sorted(set(files)))})"
        for (source, target), files in import_graph().items()
        if LAYER[target] >= LAYER[source]
    ]
    assert upward == []


def test_the_named_boundaries() -> None:
    """The arrows the layering exists for: the spec never reads configs, and the readers of NeMo 2.x
    Python (nemo2/, lint/) never import the code that writes it."""
    edges = import_graph()
    assert ("legacy/", "spec") in edges and ("emit/", "spec") in edges
    assert ("spec", "legacy/") not in edges
    assert ("nemo2/", "emit/") not in edges and ("lint/", "emit/") not in edges
    assert ("nemo2/", "target_api/") in edges and ("plan/", "target_api/") in edges  # the shared facts
