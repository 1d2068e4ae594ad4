"""Find calls such as `nl.MegatronMixedPrecision(...)` in a Python file and read their literal arguments.

Import aliases are followed (`from nemo import lightning as nl`, `import nemo.lightning as nl`,
`from nemo.lightning import MegatronMixedPrecision as MMP`), and NeMo-Run's
`run.Config(nl.MegatronMixedPrecision, ...)` counts as a call of the class. Only literals are
evaluated (strings, numbers, booleans, None, `torch.<dtype>`, `2**32`); anything else is kept as
NotLiteral with its source text, never evaluated.

Qualified names come from the file's import lines (`import_aliases`, a visitor that skips every
other statement line), not from libcst's `QualifiedNameProvider`: that provider needs scope
analysis of every node, which costs two to three and a half times the whole `--into` rewrite of a script
(`python bench/bench_into.py --qualified-names` prints both; README, Benchmarks). The import map is
file-wide: an import inside a function names the module everywhere, and a later rebinding of the
name is not followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from migrate.errors import InputError, Location, Unreadable
from migrate.nemo2 import source_guard
from migrate.target_api.nemo2 import PLUGIN_MODULES, RUN_CONFIG_NAMES

_LIBCST_AT = re.compile(r"error at (\d+):(\d+)")
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class NotLiteral:
    """An argument the tool will not evaluate; `source` is its code."""

    source: str

    def brief(self, limit: int = 60) -> str:
        """The code on one line, shortened for a message."""
        code = " ".join(self.source.split())
        return code if len(code) <= limit else code[: limit - 3] + "..."


@dataclass(frozen=True)
class CallSite:
    """One call of a target class: position, keyword arguments, and the libcst node."""

    name: str  # the class name, e.g. "MegatronMixedPrecision"
    line: int
    col: int
    end_line: int
    kwargs: dict[str, Any]
    positional: tuple[Any, ...]
    node: cst.Call = field(compare=False, repr=False)
    via_run_config: bool = False


def parse_python(text: str, path: str) -> cst.Module:
    """The one way user Python is parsed: guarded first (source_guard), never executed.

    A syntax error is located and worded by CPython's own parser when it rejects the text too
    (libcst's position is the token after the one it stopped at: `print "x"` on line 1 was line 2).
    """
    source_guard.check(text, path)
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        match = _LIBCST_AT.search(error.message)
        where = (int(match[1]), int(match[2]) + 1) if match else (error.raw_line, error.raw_column + 1)
        raise _syntax_error(text, path, error.message, where) from None
    except Exception as error:  # noqa: BLE001 - libcst's node checks: `"a" b"b"`, LibCST #1061
        raise _syntax_error(text, path, f"{type(error).__name__}: {error}", (1, 1)) from None


def _syntax_error(text: str, path: str, message: str, where: tuple[int, int]) -> InputError:
    import ast

    try:
        ast.parse(text, path)  # parses only; safe: source_guard bounded the nesting
    except SyntaxError as cpython:
        line = cpython.lineno or 1
        message = cpython.msg
        char = _char_at(text, line, cpython.offset)
        if message == "invalid syntax" and char is not None and not char.isprintable() and not char.isspace():
            message = f"invalid non-printable character U+{ord(char):04X}"  # Python >= 3.11's words; 3.10 says "invalid syntax"
        return Unreadable(Location(path, line, cpython.offset or 1), f"invalid Python: {_one_line(message)}")
    except (RecursionError, MemoryError, ValueError):
        pass
    return Unreadable(Location(path, *where), f"libcst cannot parse this Python: {_one_line(message)}")


def _char_at(text: str, line: int, offset: int | None) -> str | None:
    """The character at a 1-based line and column (lines as Python counts them), if there is one."""
    import re

    lines = re.split(r"\r\n|\r|\n", text)
    if offset is None or not 1 <= line <= len(lines) or not 1 <= offset <= len(lines[line - 1]):
        return None
    return lines[line - 1][offset - 1]


def _one_line(message: str) -> str:
    """A parser's message as one short printable line (it may quote a control character of the input)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(message.split()))
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


class _Aliases(cst.CSTVisitor):
    """Names bound by imports: alias -> dotted target ("nl" -> "nemo.lightning")."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        # imports are statements: skip the expressions of every other line (a large speed-up)
        return any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = dotted
            else:
                head = dotted.split(".")[0]
                self.names[head] = head

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module)
        for alias in node.names:
            name = dotted_name(alias.name)
            if module is None or name is None:
                continue
            bound = (
                alias.asname.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                else name
            )
            self.names[bound] = f"{module}.{name}"


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c` for a name or a chain of attributes of one; None for anything else (`f().x`, `a[0].x`)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def qualified_name(node: cst.BaseExpression, aliases: dict[str, str]) -> str | None:
    """`nl.MegatronMixedPrecision` -> `nemo.lightning.MegatronMixedPrecision` via the file's imports."""
    dotted = dotted_name(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    if head in aliases:
        return aliases[head] + (f".{rest}" if rest else "")
    return dotted


def literal_value(node: cst.BaseExpression, module: cst.Module) -> Any:
    """The value of a literal expression, or NotLiteral."""
    value = _literal(node)
    return NotLiteral(module.code_for_node(node)) if value is _NOT_LITERAL else value


_NOT_LITERAL = object()  # `_literal`'s "no": its code is generated once, by literal_value, not at every level


def string_value(node: cst.BaseExpression) -> str | bytes | None:
    """A string literal's value; None for anything else, and for literals CPython itself rejects
    (`"\\N{NOPE}"`, str mixed with bytes) or that no text output can carry (a lone surrogate)."""
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    try:
        value = node.evaluated_value  # libcst evaluates the escapes; it raises on invalid ones
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError, CSTValidationError, ...
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return value


def _literal(node: cst.BaseExpression) -> Any:
    if isinstance(node, cst.SimpleString):
        value = string_value(node)
        return _NOT_LITERAL if value is None else value
    if isinstance(node, cst.ConcatenatedString):
        value = string_value(node)
        return value if isinstance(value, str) else _NOT_LITERAL
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return (int(node.value.replace("_", ""), 0) if isinstance(node, cst.Integer)
                    else float(node.value.replace("_", "")))
        except ValueError:  # beyond Python's int-string conversion limit (the guard refuses those)
            return _NOT_LITERAL
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal(node.expression)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
        base, exponent = _literal(node.left), _literal(node.right)
        if (
            all(isinstance(v, int) and not isinstance(v, bool) for v in (base, exponent))
            and 0 <= exponent <= 128
        ):
            return base**exponent
    if isinstance(node, cst.Attribute):
        dotted = dotted_name(node)
        if dotted and dotted.startswith("torch.") and dotted.count(".") == 1:
            return dotted  # a torch dtype, kept as its name: "torch.bfloat16"
    return _NOT_LITERAL


class Positions:
    """Node -> CodeRange for a module, computed on first use by one code-generation pass, then kept.

    `MetadataWrapper.resolve` would walk the whole tree once more for batchable providers even
    when there are none; the provider's own generation step is used where libcst has it.
    """

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._ranges: Mapping[cst.CSTNode, CodeRange] | None = None

    @property
    def ranges(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._ranges is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            generate = getattr(PositionProvider(), "_gen", None)
            self._ranges = generate(wrapper) if callable(generate) else wrapper.resolve(PositionProvider)
        return self._ranges

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        return self.ranges[node]


class CallFinder(cst.CSTVisitor):
    """Calls of the target classes; `relevant` may rule out a statement line (and skip its subtree)."""

    def __init__(
        self,
        module: cst.Module,
        aliases: dict[str, str],
        targets: dict[str, tuple[str, ...]],
        relevant: Callable[[cst.SimpleStatementLine], bool] | None = None,
    ) -> None:
        self.module = module
        self.aliases = aliases
        self.targets = targets  # class name -> modules that export it
        self.relevant = relevant
        self.hits: list[tuple[str, cst.Call, list[cst.Arg], bool]] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return self.relevant is None or self.relevant(node)

    def _target(self, node: cst.BaseExpression) -> str | None:
        name = qualified_name(node, self.aliases)
        if name is None:
            return None
        module, _, cls = name.rpartition(".")
        if cls in self.targets and module in self.targets[cls]:
            return cls
        return None

    def visit_Call(self, node: cst.Call) -> None:
        cls = self._target(node.func)
        via_run = False
        args = list(node.args)
        if cls is None:
            func = qualified_name(node.func, self.aliases) or ""
            if func.rpartition(".")[2] in RUN_CONFIG_NAMES and args and args[0].keyword is None:
                cls = self._target(args[0].value)
                via_run = cls is not None
                args = args[1:]
        if cls is not None:
            self.hits.append((cls, node, args, via_run))

    def sites(self, positions: Positions | Mapping[cst.CSTNode, CodeRange]) -> list[CallSite]:
        found = []
        for cls, node, args, via_run in self.hits:
            position = positions[node]
            kwargs = {}
            positional = []
            for arg in args:
                value = literal_value(arg.value, self.module)
                if arg.keyword is not None:
                    kwargs[arg.keyword.value] = value
                elif arg.star:
                    positional.append(NotLiteral(self.module.code_for_node(arg)))
                else:
                    positional.append(value)
            found.append(CallSite(cls, position.start.line, position.start.column + 1, position.end.line,
                                  kwargs, tuple(positional), node, via_run))
        return found


def mentions(aliases: dict[str, str], targets: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """The words a line must contain to hold a call of a target: a name bound by an import, or the
    first part of a target's module written out (`nemo.lightning.Trainer` with no import of it)."""
    words = set(aliases) | {module.split(".")[0] for modules in targets.values() for module in modules}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b")


def import_aliases(module: cst.Module) -> dict[str, str]:
    visitor = _Aliases()
    module.visit(visitor)
    return visitor.names


def find_calls(
    module: cst.Module,
    targets: dict[str, tuple[str, ...]] | None = None,
    positions: Positions | MetadataWrapper | None = None,
) -> list[CallSite]:
    """Calls of the target classes (default: NeMo 2.0's MegatronMixedPrecision), in source order.

    Pass the caller's `Positions` of `module` (or its MetadataWrapper) when it needs positions too,
    so that they are computed once, and only when a call is found.
    """
    targets = targets or {"MegatronMixedPrecision": PLUGIN_MODULES}
    finder = CallFinder(module, import_aliases(module), targets)
    module.visit(finder)
    if not finder.hits:
        return []
    if isinstance(positions, MetadataWrapper):
        return finder.sites(positions.resolve(PositionProvider))
    return finder.sites(positions if positions is not None else Positions(module))
