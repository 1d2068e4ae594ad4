"""Refuse Python source that libcst cannot read safely, before libcst sees it.

libcst's native parser recurses once per nesting level and copies the tree of a left-recursive
operator chain at every step: about 1,100 nested brackets (fewer on a smaller stack) overflow its
stack and kill the process with SIGSEGV and no message, and its time grows with the square of the
depth (LibCST issues #619, #980, #1000). The tree it builds is then walked recursively in Python.

One pass of Python's own `tokenize` (a loop, safe at any depth) measures two things per token and
refuses the file, at the token where a limit is first exceeded, when either is too large:

* `brackets`: open `(`/`[`/`{`. CPython itself refuses more than 200; no script needs 100.
* `depth`: an upper bound of the depth of the tree libcst builds: three per open bracket, two per
  indented block, one per `elif` of the enclosing `if` chains (libcst nests each in the previous),
  plus, per bracket level, the operators chained since the last `,`/`;`/`=`/`:` (each operator,
  trailer or adjacent string adds a level: `a + b + c`, `a.b.c`, `f()()`, `'a' 'b'`, `not not x`).

Like CPython, it also refuses a decimal integer literal longer than Python's int-string conversion
limit (4,300 digits), which the literal reader could not turn into a number.

The limits keep the worst accepted file far from the crash, parse time linear in the file size, and
the tree shallow enough for Python's recursion (`RECURSION_LIMIT`). Real code stays far below them:
of 3,840 files of the standard library and common packages, the deepest brackets are 15 and the
deepest measure 267 (an `encodings` table of 256 adjacent strings); the one file refused is
`pydoc_data/topics.py`, thousands of adjacent strings, which overflows libcst's own stack.
"""

from __future__ import annotations

import gc
import io
import sys
import token
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from migrate.errors import InputError, Location, Unreadable

MAX_BRACKETS = 100
MAX_DEPTH = 500
# Python frames needed to walk a tree of MAX_DEPTH levels (libcst's visitors and code generator use
# up to four frames per level), with room for the caller's own stack.
RECURSION_LIMIT = 4 * MAX_DEPTH + 2000

_BASE = 10  # module, statement line, statement, target, ...: the levels every expression sits under
_OPEN, _CLOSE = "([{", ")]}"
_SEPARATORS = frozenset({",", ";", "=", "->", ":=", "+=", "-=", "*=", "/=", "//=", "%=", "@=", "&=", "|=",
                         "^=", ">>=", "<<=", "**="})
_WORD_OPERATORS = frozenset({"and", "or", "not", "in", "is", "if", "else", "lambda", "await", "for", "async",
                             "yield", "from"})
_NAMES = {"(": "'('", "[": "'['", "{": "'{'"}


@dataclass(frozen=True)
class Measure:
    """The largest values seen in a file, and where the deepest point is (1-based)."""

    brackets: int
    depth: int
    line: int
    col: int


class _Scan:
    def __init__(self, path: str) -> None:
        self.path = path
        self.runs = [0]  # per open bracket level: operators chained in the current element
        self.lambdas = [0]  # per level: lambdas whose `:` is still to come (it does not end the element)
        self.opened: list[tuple[str, int, int]] = []  # open brackets: (char, line, col)
        self.indent = 0
        self.elifs = [0]  # per indentation level: `elif`s so far in the current if chain
        self.depth = 0  # running sum of self.runs and self.elifs
        self.line_start = True
        self.best = Measure(0, 0, 1, 1)
        self.max_brackets = 0

    def refuse(self, line: int, col: int, what: str) -> InputError:
        return Unreadable(Location(self.path, line, col + 1), f"nested too deeply to parse safely: {what}")

    def feed(self, tok: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> None:
        kind, text = tok.type, tok.string
        line, col = tok.start
        if kind == token.INDENT:
            self.indent += 1
            self.elifs.append(0)
            return
        if kind == token.DEDENT:
            self.indent -= 1
            self.depth -= self.elifs.pop()
            return
        if kind == token.NEWLINE:
            self.depth -= sum(self.runs)
            self.runs, self.lambdas, self.line_start = [0], [0], True
            return
        if kind in (token.NL, token.COMMENT):
            return
        if self.line_start:
            self.line_start = False
            if kind == token.NAME and text == "elif":
                self.elifs[-1] += 1
                self.depth += 1
            elif not (kind == token.NAME and text == "else"):
                self.depth -= self.elifs[-1]
                self.elifs[-1] = 0
        if kind == token.OP and text in _OPEN:
            self._chain()
            self.runs.append(0)
            self.lambdas.append(0)
            self.opened.append((text, line, col))
            if len(self.opened) > MAX_BRACKETS:
                raise self.refuse(line, col, f"more than {MAX_BRACKETS} nested brackets (Python itself allows 200)")
            self.max_brackets = max(self.max_brackets, len(self.opened))
        elif kind == token.OP and text in _CLOSE:
            if self.opened:
                self.depth -= self.runs.pop()
                self.lambdas.pop()
                self.opened.pop()
        elif kind == token.OP and text == ":" and self.lambdas[-1]:
            self.lambdas[-1] -= 1
        elif kind == token.OP and text in (",", "=") and self.lambdas[-1]:
            pass  # between a lambda's parameters: `lambda a=lambda b=...` still nests
        elif kind == token.OP and (text == ":" or text in _SEPARATORS):
            self.depth -= self.runs[-1]
            self.runs[-1] = 0
        elif kind == token.OP or (kind == token.NAME and text in _WORD_OPERATORS):
            if text == "lambda":  # a lambda, its parameters and a parameter's default: three levels
                self.lambdas[-1] += 1
                self._chain(3)
            else:
                self._chain()
        if kind == token.NUMBER:
            self._number(text, line, col)
        inner = 0
        if kind == token.STRING:
            if previous is not None and previous.type == token.STRING:
                self._chain()  # adjacent strings nest: 'a' 'b' 'c'
            if "f" in text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower():
                inner = _fstring_depth(text)
        total = _BASE + self.depth + 3 * len(self.opened) + 2 * self.indent + inner
        if total > self.best.depth:
            self.best = Measure(self.max_brackets, total, line, col + 1)
            if total > MAX_DEPTH:
                raise self.refuse(line, col, f"an expression more than {MAX_DEPTH} levels deep (a long chain of "
                                             "operators, calls or adjacent strings, or nested brackets)")

    def _number(self, text: str, line: int, col: int) -> None:
        """CPython refuses a decimal integer literal longer than its int-string conversion limit."""
        digits = text.replace("_", "")
        limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
        if limit and len(digits) > limit and digits.isdigit():
            raise Unreadable(Location(self.path, line, col + 1),
                             f"invalid Python: an integer literal of {len(digits)} digits (Python reads at most {limit})")

    def _chain(self, levels: int = 1) -> None:
        self.runs[-1] += levels
        self.depth += levels


def _fstring_depth(text: str) -> int:
    """An f-string is one token before Python 3.12: bound the depth of the expressions inside by their text."""
    if "{" not in text:
        return 0
    return sum(3 if char in "{([" else 1 for char in text if char in "{([.+-*/%@&|^<>~")


def measure(text: str, path: str = "<string>") -> Measure:
    """Scan `text`; InputError (located) if it exceeds a limit or cannot be tokenized."""
    scan = _Scan(path)
    previous = None
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    try:
        for tok in tokens:
            scan.feed(tok, previous)
            if tok.type not in (token.NL, token.COMMENT):
                previous = tok
    except InputError:
        raise
    except tokenize.TokenError as error:
        raise _token_error(scan, error, path) from None
    except SyntaxError as error:  # IndentationError; the tokenizer of Python >= 3.12 raises more of them
        line, col = error.lineno or 1, error.offset or 1
        raise Unreadable(Location(path, line, col), f"invalid Python: {error.msg}") from None
    return Measure(scan.max_brackets, scan.best.depth, scan.best.line, scan.best.col)


def _token_error(scan: _Scan, error: tokenize.TokenError, path: str) -> InputError:
    message = str(error.args[0]) if error.args else "cannot be tokenized"
    if "multi-line statement" in message and scan.opened:
        char, line, col = scan.opened[-1]
        return Unreadable(Location(path, line, col + 1), f"invalid Python: {_NAMES[char]} was never closed")
    where = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], tuple) else (1, 0)
    if "string" in message:
        message = "unterminated triple-quoted string literal"
    return Unreadable(Location(path, where[0], where[1] + 1), f"invalid Python: {message}")


def check(text: str, path: str) -> None:
    """Raise InputError unless libcst can parse `text` and its tree can be walked without harm."""
    measure(text, path)


@contextmanager
def tree_work() -> Iterator[None]:
    """Room to parse and walk any file that passed `check`, restored afterwards.

    Python's recursion limit is raised to RECURSION_LIMIT (libcst's visitors and code generator
    recurse per level; other readers keep relying on the process's own limit outside). The cyclic
    garbage collector is paused: libcst builds an object per token and every full collection walks
    them all, which made the time grow faster than the file (a 20,000-name list took 8x as long as
    a 4,000-name one); reference counting still frees everything, and cycles are collected after.
    """
    previous = sys.getrecursionlimit()
    collecting = gc.isenabled()
    if previous < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    gc.disable()
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)
        if collecting:
            gc.enable()
