"""Edit the argument list of a libcst Call without disturbing the user's layout and comments.

A trailing comment after `name=value,` lives in the comma's whitespace, so removing or appending
an argument has to move that whitespace to the right neighbour; these helpers do only that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from migrate.emit.code import clean, value_node

INDENT = "    "
_EMPTY = cst.Module([])


@dataclass(frozen=True)
class NewArg:
    """A keyword argument to write, with the comment that says where its value came from."""

    name: str
    value: Any  # a plan value (str/int/float/bool/None/Dtype) or a ready libcst expression
    comment: str | None = None

    def value_node(self) -> cst.BaseExpression:
        return self.value if isinstance(self.value, cst.BaseExpression) else value_node(self.value)

    def code(self) -> str:
        return f"{self.name}={_EMPTY.code_for_node(self.value_node())}"


def comment_text(text: str) -> str:
    return "# " + clean(text)


def is_multiline(call: cst.Call) -> bool:
    spaces = [call.whitespace_before_args]
    for arg in call.args:
        spaces.append(arg.whitespace_after_arg)
        if isinstance(arg.comma, cst.Comma):
            spaces.append(arg.comma.whitespace_after)
    return any(isinstance(space, cst.ParenthesizedWhitespace) for space in spaces)


def _closing(arg: cst.Arg) -> cst.BaseParenthesizableWhitespace:
    """The whitespace between the last argument and `)`."""
    return arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else arg.whitespace_after_arg


def line_start(call: cst.Call) -> cst.ParenthesizedWhitespace | None:
    """The whitespace that starts an argument line in this call (None if no argument has its own line)."""
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return call.whitespace_before_args
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
            return arg.comma.whitespace_after
    return None


def remove_arg(call: cst.Call, index: int) -> cst.Call:
    """The call without its index-th argument; the neighbours keep their own comments."""
    args = list(call.args)
    removed = args.pop(index)
    if not args:
        return call.with_changes(args=[], whitespace_before_args=cst.SimpleWhitespace(""))
    if index == len(args):  # the removed argument was the last one: its predecessor now closes the call
        previous = args[-1]
        closing = _closing(removed)
        before = previous.comma.whitespace_after if isinstance(previous.comma, cst.Comma) else None
        if isinstance(closing, cst.ParenthesizedWhitespace):
            first = before.first_line if isinstance(before, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
            closing = closing.with_changes(first_line=first)
        if isinstance(removed.comma, cst.Comma):
            whitespace_before = previous.comma.whitespace_before if isinstance(previous.comma, cst.Comma) else cst.SimpleWhitespace("")
            args[-1] = previous.with_changes(comma=cst.Comma(whitespace_before=whitespace_before, whitespace_after=closing))
        else:
            args[-1] = previous.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=closing)
    return call.with_changes(args=args)


def _line_whitespace(start: cst.ParenthesizedWhitespace, comment: str | None) -> cst.ParenthesizedWhitespace:
    first = cst.TrailingWhitespace(
        whitespace=cst.SimpleWhitespace("  " if comment else ""),
        comment=cst.Comment(comment_text(comment)) if comment else None,
        newline=cst.Newline(),
    )
    return cst.ParenthesizedWhitespace(first_line=first, indent=start.indent, last_line=start.last_line)


def append_args(call: cst.Call, new: Sequence[NewArg], indent: str) -> cst.Call:
    """Add keyword arguments at the end: one per line with a comment in a multi-line call, inline otherwise.

    `indent` is the indentation (relative to the statement) of the line the call starts on; it is
    used only when the call has no argument yet.
    """
    if not new:
        return call
    args = list(call.args)
    if not args:
        return call.with_changes(args=_own_lines(new, indent + INDENT, indent), whitespace_before_args=_start(indent + INDENT))
    if not is_multiline(call):
        # one argument per line, so that every written argument can say where its value came from
        call = explode(call, indent)
        args = list(call.args)
    last = args[-1]
    closing = _closing(last)
    start = line_start(call) or _start(indent + INDENT)
    # the last argument's own comment (first line of the closing whitespace) stays on its line
    own_comment = closing.first_line if isinstance(closing, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
    before = last.comma.whitespace_before if isinstance(last.comma, cst.Comma) else cst.SimpleWhitespace("")
    args[-1] = last.with_changes(
        comma=cst.Comma(whitespace_before=before, whitespace_after=cst.ParenthesizedWhitespace(
            first_line=own_comment, indent=start.indent, last_line=start.last_line)),
        whitespace_after_arg=cst.SimpleWhitespace(""),
    )
    for index, item in enumerate(new):
        if index < len(new) - 1:
            space = _line_whitespace(start, item.comment)
        elif isinstance(closing, cst.ParenthesizedWhitespace):
            space = closing.with_changes(first_line=_line_whitespace(start, item.comment).first_line)
        else:  # `last_arg)` on the same line as the closing parenthesis: keep it there
            args.append(_arg(item, cst.MaybeSentinel.DEFAULT, closing))
            continue
        args.append(_arg(item, cst.Comma(whitespace_after=space), cst.SimpleWhitespace("")))
    return call.with_changes(args=args)


def explode(call: cst.Call, indent: str) -> cst.Call:
    """`f(a, b=1)` -> one argument per line with a trailing comma, indented one level below `indent`."""
    args = list(call.args)
    inner, outer = _start(indent + INDENT), _start(indent)
    exploded = [
        arg.with_changes(
            comma=cst.Comma(whitespace_after=outer if index == len(args) - 1 else inner),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        for index, arg in enumerate(args)
    ]
    return call.with_changes(args=exploded, whitespace_before_args=inner)


def _arg(item: NewArg, comma: cst.Comma | cst.MaybeSentinel, after: cst.BaseParenthesizableWhitespace) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(item.name),
        value=item.value_node(),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        comma=comma,
        whitespace_after_arg=after,
    )


def _start(last_line: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(last_line))


def _own_lines(new: Sequence[NewArg], inner: str, outer: str) -> list[cst.Arg]:
    args = []
    for index, item in enumerate(new):
        last = index == len(new) - 1
        space = _line_whitespace(_start(outer if last else inner), item.comment)
        args.append(_arg(item, cst.Comma(whitespace_after=space), cst.SimpleWhitespace("")))
    return args


def new_call(func: cst.BaseExpression, new: Sequence[NewArg], indent: str, first: cst.BaseExpression | None = None) -> cst.Call:
    """`func(\\n    name=value,  # comment\\n)`, optionally with a leading positional argument (run.Config's class)."""
    call = cst.Call(func=func, args=[])
    if first is not None:
        call = call.with_changes(
            args=[cst.Arg(value=first, comma=cst.Comma(whitespace_after=_start(indent)))],
            whitespace_before_args=_start(indent + INDENT),
        )
        return append_args(call, new, indent) if new else call
    return append_args(call, new, indent)
