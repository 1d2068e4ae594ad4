"""The legacy record `nemo-migrate snapshot` writes and `verify --legacy` reads: verify's legacy rows,
computed where the old training ran (by NeMo 1.x itself when it was importable there), carried to
the machine where the migrated side is checked.

A record is JSON:

    {"format": "nemo-migrate legacy record", "version": 1,
     "config": "OLD.yaml", "config_sha256": "...", "run": null, "set": ["model.fp8=True"],
     "nemo1_version": "1.23",
     "source": "nemo" | "model",
     "legacy_side": "nemo_toolkit 1.23.0, installed (MegatronTrainerBuilder)",
     "versions": {"nemo-toolkit": "1.23.0", ...},
     "trainer_builder": "gpt", "trainer_builder_from": "--trainer-builder gpt",
     "rows": {"precision": {"value": "bf16", "why": "..."}, ...}}

`source` "nemo": NeMo 1.x's own builders computed the rows (those its builders never reach say they
come from nemo-migrate's model); "model": NeMo 1.x was not importable and the rows are nemo-migrate's
own model of the legacy side. Reading refuses, with the file and line, anything else: a record of
another format or version, a row verify does not know, a value that is not a JSON scalar, or a record
made for another version of the YAML, another `--set` or another trainer builder than verify's.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from migrate.errors import InputError, Location
from migrate.verify.effective import ROWS, Effective, Entry

FORMAT = "nemo-migrate legacy record"
VERSION = 1
SOURCES = ("nemo", "model")
ROW_KEYS = tuple(row.key for row in ROWS)  # verify's rows, in its order


@dataclass(frozen=True)
class LegacyRecord:
    path: str
    config: str
    config_sha256: str
    run: str | None
    sets: tuple[str, ...]
    nemo1_version: str
    source: str  # "nemo" | "model"
    legacy_side: str  # how the record's rows were computed, for the report
    trainer_builder: str
    rows: dict[str, Entry]

    def effective(self) -> Effective:
        return Effective("legacy", dict(self.rows), source=self.config)

    def describe(self) -> str:
        """The report's `legacy side:` line."""
        return f"{self.legacy_side}, recorded in {self.path}"


def sha256_of(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def record_document(*, config: str, config_sha256: str, run: str | None, sets: tuple[str, ...], nemo1_version: str,
                    source: str, legacy_side: str, versions: dict[str, Any], trainer_builder: str,
                    trainer_builder_from: str, rows: dict[str, Entry], notes: tuple[str, ...] = ()) -> str:
    """The JSON text of a record (rows in verify's row order)."""
    ordered = {key: {"value": _plain(rows[key].value), "why": rows[key].why} for key in ROW_KEYS if key in rows}
    document = {
        "format": FORMAT, "version": VERSION, "config": config, "config_sha256": config_sha256, "run": run,
        "set": list(sets), "nemo1_version": nemo1_version, "source": source, "legacy_side": legacy_side,
        "versions": versions, "trainer_builder": trainer_builder, "trainer_builder_from": trainer_builder_from,
        "notes": list(notes), "rows": ordered,
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def _plain(value: Any) -> Any:
    """JSON has no infinities: a non-finite float is written as its string, which no verify row holds."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class _Locator:
    """The line of a key in the record's text (records are small; the first match after a parent wins)."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def at(self, key: str, after: str | None = None) -> Location:
        start = 0
        if after is not None:
            start = next((i for i, line in enumerate(self.lines) if f'"{after}"' in line), 0)
        pattern = re.compile(rf'"{re.escape(key)}"\s*:')
        for index in range(start, len(self.lines)):
            match = pattern.search(self.lines[index])
            if match:
                return Location(self.path, index + 1, match.start() + 1)
        return Location(self.path, 1, 1)


def read_record(path: str) -> LegacyRecord:
    """Parse and check a record; InputError (file:line:col) for anything verify cannot use."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Location(path), f"cannot read the legacy record: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = json.loads(text, parse_constant=lambda name: _refuse_constant(path, text, name))
    except json.JSONDecodeError as error:
        raise InputError(Location(path, error.lineno, error.colno), f"not a JSON legacy record: {error.msg}") from None
    where = _Locator(path, text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(where.at("format") if isinstance(data, dict) else Location(path, 1, 1),
                         f"not a legacy record (no \"format\": \"{FORMAT}\"); write one with `nemo-migrate snapshot`")
    if data.get("version") != VERSION:
        raise InputError(where.at("version"), f"legacy record version {data.get('version')!r}; this nemo-migrate reads version {VERSION}")
    fields = {name: data.get(name) for name in ("config", "config_sha256", "legacy_side", "trainer_builder", "nemo1_version")}
    for name, value in fields.items():
        if not isinstance(value, str) or not value:
            raise InputError(where.at(name), f"{name} must be a non-empty string")
    if data.get("source") not in SOURCES:
        raise InputError(where.at("source"), f"source must be one of {', '.join(SOURCES)}")
    sets = data.get("set", [])
    if not isinstance(sets, list) or not all(isinstance(item, str) for item in sets):
        raise InputError(where.at("set"), "set must be a list of KEY=VALUE strings")
    run = data.get("run")
    if run is not None and not isinstance(run, str):
        raise InputError(where.at("run"), "run must be a string or null")
    rows = data.get("rows")
    if not isinstance(rows, dict) or not rows:
        raise InputError(where.at("rows"), "rows must be a non-empty object of verify rows")
    entries: dict[str, Entry] = {}
    for key, row in rows.items():
        if key not in ROW_KEYS:
            raise InputError(where.at(key, after="rows"), f"unknown row {key!r} (verify's rows: {', '.join(ROW_KEYS)})")
        if not isinstance(row, dict) or set(row) != {"value", "why"}:
            raise InputError(where.at(key, after="rows"), f"row {key!r} must be {{\"value\": ..., \"why\": \"...\"}}")
        value, why = row["value"], row["why"]
        if isinstance(value, (dict, list)) or not isinstance(why, str):
            raise InputError(where.at(key, after="rows"), f"row {key!r}: the value must be a JSON scalar and why a string")
        entries[key] = Entry(value, why)
    return LegacyRecord(path, fields["config"], fields["config_sha256"], run, tuple(sets), fields["nemo1_version"],
                        data["source"], fields["legacy_side"], fields["trainer_builder"], entries)


def _refuse_constant(path: str, text: str, name: str):
    line = next((i + 1 for i, content in enumerate(text.splitlines()) if name in content), 1)
    raise InputError(Location(path, line), f"{name} is not JSON: a legacy record holds finite numbers only")


def check_matches(record: LegacyRecord, yaml_path: str, sets: tuple[str, ...], trainer_builder: str | None,
                  run: str | None) -> None:
    """Refuse a record made for another YAML, other --set overrides, another --run or another builder."""
    text = _record_text(record.path)
    where = _Locator(record.path, text)
    try:
        digest = sha256_of(yaml_path)
    except OSError:
        digest = None  # verify reports the unreadable YAML itself
    if digest is not None and digest != record.config_sha256:
        raise InputError(where.at("config_sha256"),
                         f"recorded for another version of the YAML ({record.config}); {yaml_path} has changed since: "
                         "run `nemo-migrate snapshot` on it again")
    if tuple(sets) != record.sets:
        raise InputError(where.at("set"), f"recorded with --set {list(record.sets)}, verify was given {list(sets)}")
    if run != record.run:
        raise InputError(where.at("run"), f"recorded for --run {record.run!r}, verify was given --run {run!r}")
    if trainer_builder is not None and trainer_builder != record.trainer_builder:
        raise InputError(where.at("trainer_builder"), f"recorded for --trainer-builder {record.trainer_builder}, "
                         f"verify was given --trainer-builder {trainer_builder}")


def check_release(record: LegacyRecord, nemo1_version: str) -> None:
    """Refuse a record made under other NeMo 1.x release rules than an explicit --nemo1-version."""
    from migrate.legacy.versions import resolve_version

    key, _ = resolve_version(nemo1_version)
    if key != record.nemo1_version:
        where = _Locator(record.path, _record_text(record.path))
        raise InputError(where.at("nemo1_version"), f"recorded for NeMo {record.nemo1_version}, verify was given "
                         f"--nemo1-version {nemo1_version}")


def _record_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""
