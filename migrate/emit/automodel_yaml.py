"""Write an AutomodelPlan as AutoModel YAML, or merge it into an existing AutoModel recipe.

ruamel.yaml's round-trip mode keeps the recipe's comments, key order, quoting and indentation.
`merge_into` only touches the keys of the plan: a key already holding the same value (any
spelling of the same dtype counts) is left as it is, comment included, so merging a second time
returns the text unchanged. New keys go at the end of their mapping, before the comments and
blank lines that closed it.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from migrate import __version__
from migrate.emit.code import clean, findings_footer
from migrate.errors import InputError, Location
from migrate.plan.automodel import AutomodelPlan, Entry, plan_automodel
from migrate.spec import Finding, PrecisionSpec
from migrate.target_api.automodel import AUTOMODEL_VERSION, DTYPE_SPELLINGS

REVIEW_MARKER = "# nemo-migrate: REVIEW - not expressible in NeMo AutoModel or changed behaviour"

_CANONICAL_DTYPE = {spelling: name for name, spellings in DTYPE_SPELLINGS.items() for spelling in spellings}


def _yaml(indent: int = 2, block_seq_indent: int | None = None) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    offset = block_seq_indent or 0
    yaml.indent(mapping=indent, sequence=offset + 2, offset=offset)  # item text sits 2 after the dash
    return yaml


def _same(entry: Entry, existing: Any) -> bool:
    if entry.dtype and isinstance(existing, str):
        return _CANONICAL_DTYPE.get(existing) == entry.value
    if isinstance(entry.value, list):
        return isinstance(existing, list) and list(existing) == entry.value
    return type(existing) is type(entry.value) and existing == entry.value


def _node(value: Any) -> Any:
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq
    return value


# --- trailing comments: ruamel keeps the comment lines that follow a key on that key's token ---


def _block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and bool(node) and not node.fa.flow_style()


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """(container, key, token index) of the deepest last entry, whose token holds the node's tail."""
    if isinstance(node, CommentedMap) and node:
        key = list(node.keys())[-1]
        return _last_slot(node[key]) if _block(node[key]) else (node, key, 2)
    if isinstance(node, CommentedSeq) and node:
        return _last_slot(node[-1]) if _block(node[-1]) else (node, len(node) - 1, 0)
    return None


def _split(value: str) -> tuple[str, str]:
    """A token's text as (end of the key's own line, the lines after it)."""
    end = value.find("\n") + 1 if value.startswith(("#", " ")) else 1
    return value[:end], value[end:]


def _detach_tail(node: Any) -> str:
    slot = _last_slot(node)
    if slot is None:
        return ""
    container, key, index = slot
    token = container.ca.items.get(key, [None] * 4)[index]
    if token is None:
        return ""
    own, tail = _split(token.value)
    if own.strip():
        token.value = own
    else:
        container.ca.items[key][index] = None
    return tail


def _attach_tail(node: Any, tail: str) -> None:
    slot = _last_slot(node)
    if not tail or slot is None:
        return
    container, key, index = slot
    items = container.ca.items.setdefault(key, [None] * 4)
    token = items[index]
    if token is None:
        items[index] = CommentToken("\n" + tail, CommentMark(0), None)
    else:
        own, _ = _split(token.value)
        token.value = own + tail


def _set_comment(mapping: CommentedMap, key: str, comment: str) -> None:
    """Put `# comment` after the key's value, keeping the comment lines that followed it."""
    if not comment or mapping.fa.flow_style():
        return  # a comment inside {...} would break the flow mapping over lines
    items = mapping.ca.items.setdefault(key, [None] * 4)
    token = items[2]
    tail = _split(token.value)[1] if token is not None else ""
    items[2] = CommentToken(f" # {clean(comment)}\n" + tail, CommentMark(0), None)


def _replaced(mapping: CommentedMap, key: str, comment: str) -> str:
    """The comment for a changed key: ours, then the old value and the old comment's words."""
    old = mapping[key]
    shown = "a mapping" if isinstance(old, dict) else "a list" if isinstance(old, list) else str(old)
    token = mapping.ca.items.get(key, [None] * 4)[2]
    own = _split(token.value)[0].strip().lstrip("#").strip() if token is not None else ""
    return f"{comment}; was {shown}" + (f" - {own}" if own else "") if comment else f"was {shown}"


def _set(root: CommentedMap, entry: Entry) -> bool:
    """Write one entry; True if the document changed."""
    mapping, depth = root, 0
    while depth < len(entry.path) - 1 and isinstance(mapping.get(entry.path[depth]), CommentedMap):
        mapping, depth = mapping[entry.path[depth]], depth + 1
    key = entry.path[depth]
    if depth == len(entry.path) - 1:
        if key in mapping and _same(entry, mapping[key]):
            return False
        comment = entry.comment
        if key in mapping:
            comment = _replaced(mapping, key, comment)
        _put(mapping, key, _node(entry.value), mapping is root)
        _set_comment(mapping, key, comment)
        return True
    # build the missing mappings below `mapping` first, then insert them in one piece
    inner = CommentedMap()
    inner[entry.path[-1]] = _node(entry.value)
    _set_comment(inner, entry.path[-1], entry.comment)
    for part in reversed(entry.path[depth + 1 : -1]):
        outer = CommentedMap()
        outer[part] = inner
        inner = outer
    _put(mapping, key, inner, mapping is root)
    return True


def _is_alias(value: Any) -> bool:
    """Anchored nodes are shared with their aliases: ruamel misplaces comments attached there."""
    anchor = getattr(value, "anchor", None)
    return anchor is not None and anchor.value is not None


def _put(mapping: CommentedMap, key: str, value: Any, top_level: bool) -> None:
    if key in mapping:
        last = key == list(mapping.keys())[-1]
        tail = _detach_tail(mapping) if last and isinstance(mapping[key], (CommentedMap, CommentedSeq)) else ""
        mapping[key] = value
        _attach_tail(mapping, tail)
        return
    tail = _detach_tail(mapping)
    if top_level and mapping and not _is_alias(mapping[list(mapping.keys())[-1]]):
        _attach_tail(mapping, "\n")  # a blank line before a new top-level block
    mapping[key] = value
    _attach_tail(mapping, tail)


def merge_into(existing_text: str, blocks: tuple[Entry, ...], path: str = "<existing>") -> str:
    """`existing_text` (an AutoModel YAML recipe) with the plan's keys set; unchanged if they already are.

    Comments, key order, quoting and indentation of the existing text are kept. Raises InputError
    (located at `path`) when the text is not one YAML mapping.
    """
    try:
        if existing_text.strip():
            document, indent, block_seq_indent = load_yaml_guess_indent(existing_text)
            yaml = _yaml(indent or 2, block_seq_indent)
            document = yaml.load(existing_text)
        else:
            yaml, document = _yaml(), None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise InputError(Location(path, line, col), f"invalid YAML: {error.problem or error}") from None
    except YAMLError as error:
        raise InputError(Location(path), f"invalid YAML: {error}") from None
    except RecursionError:
        raise InputError(Location(path), "YAML nested too deeply") from None
    document_had_keys = document is not None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise InputError(Location(path, 1, 1), "an AutoModel recipe must be a YAML mapping")
    changed = False
    for entry in blocks:
        changed |= _set(document, entry)
    if not changed:
        return existing_text
    out = io.StringIO()
    if not document_had_keys and existing_text.strip():
        # a file of comments only loads as None: its comments are kept above the new blocks
        out.write(existing_text if existing_text.endswith("\n") else existing_text + "\n")
    yaml.dump(document, out)
    return out.getvalue()


def _header(spec: PrecisionSpec) -> list[str]:
    source = clean(spec.source).replace("\\", "/")
    return [
        f"# NeMo AutoModel {AUTOMODEL_VERSION} precision blocks migrated from {source} by nemo-migrate {__version__}.",
        *(f"# {clean(line)}" for line in spec.context_lines()),
        *(f"# {clean(line)}" for line in spec.composition_lines()),
        "# Only precision settings are migrated: parallelism, optimizer, data and model settings are not.",
        "# Merge these keys into an AutoModel recipe YAML; its other keys stay as they are.",
    ]


def _footer(findings: tuple[Finding, ...]) -> list[str]:
    """The REVIEW and notes blocks of the Python modules, as YAML comment lines."""
    return [line.comment.value if line.comment else "" for line in findings_footer(findings, REVIEW_MARKER)]


def render_automodel_yaml(spec: PrecisionSpec, plan: AutomodelPlan) -> str:
    footer = _footer(plan.findings)
    text = "\n".join(_header(spec)) + "\n" + merge_into("", plan.entries)
    return text + ("\n".join(footer) + "\n" if footer else "")


def render_automodel(spec: PrecisionSpec) -> tuple[str, tuple[Finding, ...]]:
    """The AutoModel YAML blocks for `spec` and the findings to report (the CLI's entry point)."""
    plan = plan_automodel(spec)
    return render_automodel_yaml(spec, plan), plan.findings
