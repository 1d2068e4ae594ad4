"""Hydra group files converted on their own: recognised, and skipped with what they change.

A group file (`conf/optim/distributed_fused_adam.yaml`, `conf/tp_overlap/h100tp4mbs1.yaml`) is no
run: Hydra merges it into the config whose defaults list names it. Converted alone it would either
be skipped for a wrong reason or read as a root-level model config. It is recognised by being named
by a defaults list beside it (same directory or the one above), or by what it holds: optimizer or
userbuffer keys at its root and no `trainer`/`model` section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from migrate.errors import InputError, shortened
from migrate.legacy.defaults_list import DefaultsEntry, defaults_entries
from migrate.legacy.layout import MODEL_PRECISION_KEYS
from migrate.legacy.reader import LegacyConfig

# Keys of NeMo's `model.optim` section (NeMo 1.x optimizer configs and MLPerf `conf/optim/*.yaml`).
OPTIMIZER_KEYS = frozenset(
    {
        "lr", "betas", "eps", "weight_decay", "momentum", "sched", "dtype", "grad_sync_dtype",
        "param_sync_dtype", "store_params", "overlap_grad_sync", "overlap_param_sync",
        "contiguous_grad_buffer", "contiguous_param_buffer", "bucket_cap_mb", "master_weights",
        "distribute_within_nodes", "capturable", "max_norm", "bias_correction", "adam_w_mode",
    }
)
OPTIMIZER_DTYPE_KEYS = ("dtype", "grad_sync_dtype", "param_sync_dtype", "master_weights", "store_params")
# Transformer Engine userbuffer (TP communication overlap) settings: `model.ub_tp_comm_overlap_cfg`.
UB_KEYS = frozenset({"method", "num_sm", "cga_size", "set_sm_margin", "num_splits", "atomic_gemm", "fp8_buf", "aggregate"})
_SCANNED_FILES = 200  # configs read per directory when looking for the defaults list that names a file


@dataclass(frozen=True)
class Inclusion:
    """A config beside this file whose defaults list names it."""

    path: str
    entry: DefaultsEntry


def _yaml_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names if n.endswith((".yaml", ".yml"))][:_SCANNED_FILES]


_ENTRIES: dict[tuple[str, int, int], tuple[DefaultsEntry, ...]] = {}


def _entries_of(path: str) -> tuple[DefaultsEntry, ...]:
    """The defaults list of a neighbouring config (read once while unchanged; unreadable files have none)."""
    try:
        stat = os.stat(path)
    except OSError:
        return ()
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    if key not in _ENTRIES:
        if len(_ENTRIES) > 10_000:
            _ENTRIES.clear()
        from migrate.inputs import read_input_text
        from migrate.legacy.yamlsource import parse_yaml

        try:
            text = read_input_text(path)
            _ENTRIES[key] = defaults_entries(parse_yaml(text, path)) if "defaults" in text else ()
        except (InputError, RecursionError):
            _ENTRIES[key] = ()
    return _ENTRIES[key]


def _selected(entry: DefaultsEntry, including_dir: str) -> list[tuple[str, str]]:
    """What `entry` of a config in `including_dir` selects: ("file", path) for a written option,
    ("group", directory) for an option chosen at launch time (any file of that group)."""
    if entry.is_self or not entry.loads_file:
        return []
    group = (entry.group or "").split("@", 1)[0]
    base = os.path.normpath(os.path.join(including_dir, group)) if group else including_dir
    options = entry.option if isinstance(entry.option, list) else [entry.option]
    selected = []
    for option in options:
        if not isinstance(option, str):
            continue
        if "${" in option:
            selected.append(("group", base))
        else:
            name = option if entry.group else option.split("@", 1)[0]
            selected.append(("file", os.path.normpath(os.path.join(base, name + ".yaml"))))
    return selected


_INDEX: dict[str, tuple[tuple, dict[tuple[str, str], list[Inclusion]]]] = {}


def _index(directory: str) -> dict[tuple[str, str], list[Inclusion]]:
    """For one directory: what each of its configs' defaults lists selects (rebuilt when a file changes)."""
    files = _yaml_files(directory)
    signature = []
    for candidate in files:
        try:
            stat = os.stat(candidate)
        except OSError:
            continue
        signature.append((candidate, stat.st_mtime_ns, stat.st_size))
    key = os.path.abspath(directory or ".")
    cached = _INDEX.get(key)
    if cached is not None and cached[0] == tuple(signature):
        return cached[1]
    index: dict[tuple[str, str], list[Inclusion]] = {}
    for candidate, _, _ in signature:
        including_dir = os.path.dirname(os.path.abspath(candidate))
        seen: set[tuple[str, str]] = set()
        for entry in _entries_of(candidate):
            for selected in _selected(entry, including_dir):
                if selected not in seen:  # the first entry that names a file speaks for its config
                    seen.add(selected)
                    index.setdefault(selected, []).append(Inclusion(candidate, entry))
    if len(_INDEX) > 1_000:
        _INDEX.clear()
    _INDEX[key] = (tuple(signature), index)
    return index


def included_by(path: str) -> list[Inclusion]:
    """The configs in this file's directory or the one above whose defaults list names it."""
    target = os.path.abspath(path)
    here = os.path.dirname(path)
    found: list[Inclusion] = []
    for directory in dict.fromkeys([here, os.path.dirname(here) if here else ".."]):
        index = _index(directory)
        for inclusion in index.get(("file", target), []) + index.get(("group", os.path.dirname(target)), []):
            if os.path.abspath(inclusion.path) != target and inclusion.path not in {i.path for i in found}:
                found.append(inclusion)
    return found


def _included_text(inclusions: list[Inclusion]) -> str:
    first = inclusions[0]
    others = len(inclusions) - 1
    more = f" and {others} other config{'s' if others > 1 else ''}" if others else ""
    return f"{first.path} (`{shortened(first.entry.text)}`){more}"


def _listing(data: dict, keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k}: {shortened(str(data[k]), 40)}" for k in keys if k in data)


def _ub_sections(data: dict) -> list[str]:
    return [k for k, v in data.items() if isinstance(v, dict) and UB_KEYS & set(v)]


def _what_it_holds(data: dict) -> str | None:
    """What a root without trainer/model holds, when it is a known kind of group file."""
    if OPTIMIZER_KEYS & set(data) and ("name" in data or len(OPTIMIZER_KEYS & set(data)) >= 2):
        held = _listing(data, ("name",) + OPTIMIZER_DTYPE_KEYS)
        return (
            f"optimizer settings ({held or _listing(data, tuple(sorted(OPTIMIZER_KEYS & set(data)))[:4])}) "
            "that decide the optimizer, its state dtype and gradient-reduction dtype of the run that includes it"
        )
    sections = _ub_sections(data)
    if sections and len(sections) * 2 >= len([v for v in data.values() if isinstance(v, dict)]):
        fp8 = [k for k in sections if data[k].get("fp8_buf")]
        extra = f"; fp8_buf on for {', '.join(fp8)}" if fp8 else ""
        return (
            f"Transformer Engine userbuffer (TP communication overlap) settings for {len(sections)} GEMMs{extra}, "
            "read as model.ub_tp_comm_overlap_cfg of the run that includes it"
        )
    return None


def fragment_reason(config: LegacyConfig) -> str | None:
    """Why a config is a Hydra group file and not a run, or None."""
    data = config.data
    if not isinstance(data, dict) or config.composition is not None and config.composition.included:
        return None
    if "trainer" in data or "model" in data:
        return None
    # precision keys at the root: a `.nemo` model_config.yaml, unless a defaults list names the file
    held = None if MODEL_PRECISION_KEYS & set(data) else _what_it_holds(data)
    inclusions = [] if config.path.startswith("<") else included_by(config.path)
    if held is None and not inclusions:
        return None
    if held is None:
        keys = ", ".join(str(k) for k in list(data)[:6]) + (", ..." if len(data) > 6 else "")
        held = f"keys ({keys or 'none'}) placed into the run that includes it"
    where = f"; included by {_included_text(inclusions)}" if inclusions else ""
    return (
        f"a Hydra config-group fragment, not a run: it holds {held}{where}. It changes the run that includes it: "
        "convert the config whose defaults list names it, and this file is composed into it"
    )


def inclusion_note(config: LegacyConfig) -> str | None:
    """For a full config that a config beside it includes through its defaults list: what to know."""
    if config.path.startswith("<") or not isinstance(config.data, dict):
        return None
    inclusions = included_by(config.path)
    if not inclusions:
        return None
    return (
        f"this file is included by the defaults list of {_included_text(inclusions)}, which Hydra composes "
        "with other files: if the job was launched with that config, convert it instead"
    )
