"""Compose a run from a config's Hydra `defaults:` list with hydra-core, keeping every key's file and line.

NeMo 1.0 scripts and benchmark runners start through Hydra, which merges the group files a
config's defaults list names (`optim@model.optim: distributed_fused_adam` loads
`optim/distributed_fused_adam.yaml` beside it and places it at `model.optim`) before the training
code reads a single key. Converting the config alone would miss what those files set.

Hydra decides the merge: `compute_defaults_list` (the files in Hydra's order, each with its
package) and `hydra.compose` (the merged config). Hydra drops line numbers, so the same files,
parsed once by the project's own YAML reader, are merged again in that order with their spans;
the result must equal Hydra's, else the run is refused rather than guessed. Nothing is executed:
no `hydra.main`, no `instantiate`; every file is read through the tool's own checked reader
(regular files, size bound, OmegaConf's refusals), and environment variables in option names
come only from `--env`.
"""

from __future__ import annotations

import contextlib
import copy
import os
import posixpath
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from migrate.errors import InputError, Location, one_line, shortened
from migrate.legacy.defaults_list import DefaultsEntry, defaults_entries, names_files
from migrate.legacy.yamlsource import KeyPath, Span, YamlDocument, read_yaml_file

SCHEME = "nemomigrate"  # the config source below; never a path on disk


@dataclass(frozen=True)
class ComposedFile:
    """One file Hydra merged: `path` as messages show it (None for the converted config itself),
    `name` as the defaults list names it (`optim/distributed_fused_adam`), `package` where it went."""

    path: str | None
    name: str
    package: str
    text: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class Note:
    """Something to say about the defaults list: `severity` is "warning" or "info"; `stops` when
    the run could not be composed (the config is then read on its own)."""

    severity: str
    message: str
    line: int | None = None
    col: int | None = None
    stops: bool = False


@dataclass(frozen=True)
class Composition:
    """What Hydra's defaults list did to the converted config."""

    files: tuple[ComposedFile, ...] = ()  # in merge order, the config's own keys included
    choices: tuple[str, ...] = ()  # group choices given with --set (`optim@model.optim=...`)
    notes: tuple[Note, ...] = ()

    @property
    def included(self) -> tuple[ComposedFile, ...]:
        return tuple(f for f in self.files if f.path is not None)

    def summary(self) -> str:
        """`custom.yaml, optim/distributed_fused_adam.yaml at model.optim, then this file's own keys`."""
        parts = []
        for item in self.files:
            if item.path is None:
                parts.append("this file's own keys")
            else:
                parts.append(f"{item.name}.yaml" + (f" at {item.package}" if item.package else ""))
        text = "merged in Hydra's order: " + ", ".join(parts)
        if self.choices:
            text += f" (group choice {', '.join(self.choices)} from --set)"
        return text


# -- the config source Hydra reads through ----------------------------------------------------


class _Session:
    """The files of one composition: read once, through the tool's reader, kept with their spans."""

    def __init__(self, document: YamlDocument, root: str, name: str) -> None:
        self.document = document
        self.root = root  # absolute directory of the converted config
        self.display_dir = os.path.dirname(document.path)
        self.name = name
        self.documents: dict[str, YamlDocument] = {name: document}
        self.error: InputError | None = None

    @staticmethod
    def key(config_path: str) -> str:
        name = posixpath.normpath(config_path.replace("\\", "/").lstrip("/"))
        return name[: -len(".yaml")] if name.endswith(".yaml") else name

    def full(self, config_path: str) -> str:
        return os.path.normpath(os.path.join(self.root, config_path))

    def display(self, name: str) -> str:
        return os.path.normpath(os.path.join(self.display_dir, name + ".yaml")).replace("\\", "/")

    def is_config(self, config_path: str) -> bool:
        name = self.key(config_path)
        return name in self.documents or os.path.isfile(self.full(name + ".yaml"))

    def load(self, config_path: str) -> YamlDocument:
        name = self.key(config_path)
        if name not in self.documents:
            try:
                document = read_yaml_file(self.full(name + ".yaml"))
            except InputError as error:
                # shown at the path the user knows, not the absolute one
                self.error = InputError(
                    Location(self.display(name), error.location.line, error.location.col), error.message
                )
                raise
            except RecursionError:
                self.error = InputError(Location(self.display(name)), "YAML nested too deeply")
                raise InputError(self.error.location, self.error.message) from None
            self.documents[name] = replace(document, path=self.display(name))
        return self.documents[name]


_SESSION: _Session | None = None


@cache
def _hydra_plugins() -> None:
    """Register, once, the config source that reads through _Session and the search-path plugin
    that puts it in place of Hydra's own file reader for the config's directory."""
    from hydra.core.object_type import ObjectType
    from hydra.core.plugins import Plugins
    from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource
    from hydra.plugins.search_path_plugin import SearchPathPlugin
    from omegaconf import OmegaConf

    class CheckedFileSource(ConfigSource):
        """Hydra's view of the config's directory, read by the tool's own YAML reader."""

        @staticmethod
        def scheme() -> str:
            return SCHEME

        def _session(self) -> _Session:
            if _SESSION is None:
                raise ConfigLoadError("nemo-migrate's config source is used outside a composition")
            return _SESSION

        def load_config(self, config_path: str) -> ConfigResult:
            session = self._session()
            if not session.is_config(config_path):
                raise ConfigLoadError(f"Config not found: {config_path}")
            try:
                document = session.load(config_path)
            except InputError as error:
                raise ConfigLoadError(str(error)) from None
            data = document.data if document.data is not None else {}
            return ConfigResult(
                config=OmegaConf.create(copy.deepcopy(data)),
                path=f"{SCHEME}://{self.path}",
                provider=self.provider,
                header=ConfigSource._get_header_dict(document.text),
            )

        def available(self) -> bool:
            return True

        def is_group(self, config_path: str) -> bool:
            return os.path.isdir(self._session().full(config_path))

        def is_config(self, config_path: str) -> bool:
            return self._session().is_config(config_path)

        def list(self, config_path: str, results_filter: ObjectType | None) -> list[str]:
            files: list[str] = []
            try:
                names = os.listdir(self._session().full(config_path))
            except OSError:
                return []
            for name in names:
                self._list_add_result(
                    files=files,
                    file_path=os.path.join(config_path, name),
                    file_name=name,
                    results_filter=results_filter,
                )
            return sorted(set(files))

    class CheckedSearchPath(SearchPathPlugin):
        """During a composition, the config's directory is read through CheckedFileSource."""

        def manipulate_search_path(self, search_path: Any) -> None:
            if _SESSION is None:
                return
            for element in search_path.get_path():
                if element.provider == "main" and "://" not in element.path:
                    element.path = f"{SCHEME}://{element.path}"

    Plugins.instance().register(CheckedFileSource)
    Plugins.instance().register(CheckedSearchPath)


@contextlib.contextmanager
def _env_from_options(env: dict[str, str], used_defaults: list[str]) -> Iterator[None]:
    """`${oc.env:NAME}` in option names reads --env values only, never the process environment."""
    import omegaconf
    from omegaconf.basecontainer import BaseContainer

    marker = object()

    def lookup(name: str, default: Any = marker) -> Any:
        if name in env:
            return env[name]
        if default is marker:
            raise KeyError(f"environment variable {name} is not given; pass --env {name}=VALUE")
        used_defaults.append(name)
        return None if default is None else str(default)

    registry = BaseContainer._resolvers
    saved = registry.get("oc.env")
    major, minor = (int(part) for part in omegaconf.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):  # pragma: no cover - hydra-core 1.3 pins omegaconf < 2.4
        omegaconf.OmegaConf.register_resolver("oc.env", lookup, replace=True)
    else:
        omegaconf.OmegaConf.register_new_resolver("oc.env", lookup, replace=True)
    try:
        yield
    finally:
        if saved is None:
            registry.pop("oc.env", None)
        else:
            registry["oc.env"] = saved


@dataclass
class _Hydra:
    """What Hydra answered: the files in merge order (config path, package, primary) and the result."""

    order: list[tuple[str, str, bool]]
    result: Any
    used_defaults: list[str] = field(default_factory=list)


def _run_hydra(session: _Session, env: dict[str, str], choices: tuple[str, ...]) -> _Hydra:
    global _SESSION
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    _hydra_plugins()
    # `hydra.searchpath=[]`: a config's own search path (e.g. file:///opt/NeMo/...) is not read.
    overrides = ["hydra.searchpath=[]", *choices]
    used: list[str] = []
    previous, _SESSION = _SESSION, session
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _env_from_options(env, used), initialize_config_dir(
                config_dir=session.root, job_name="nemo_migrate", version_base=None
            ):
                loader = GlobalHydra.instance().config_loader()
                defaults = loader.compute_defaults_list(session.name, overrides, RunMode.RUN)
                composed = compose(config_name=session.name, overrides=overrides)
                result = OmegaConf.to_container(composed, resolve=False)
    finally:
        _SESSION = previous
    order = [
        (d.config_path, d.package or "", bool(d.primary))
        for d in defaults.defaults
        if d.config_path is not None and not _is_hydra_package(d.package)
    ]
    return _Hydra(order, result, used)


def _is_hydra_package(package: str | None) -> bool:
    return package is not None and (package == "hydra" or package.startswith("hydra."))


# -- the same merge, with spans --------------------------------------------------------------


class _Merged:
    """OmegaConf's merge rules on plain data: mappings merge key by key, `???` keeps what was
    there, anything else replaces. Each key keeps the span of the file that last set it."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.keys: dict[KeyPath, Span] = {}
        self.values: dict[KeyPath, Span] = {}

    def _drop(self, path: KeyPath) -> None:
        for spans in (self.keys, self.values):
            for key in [k for k in spans if k[: len(path)] == path]:
                del spans[key]

    def _copy_spans(
        self, document: YamlDocument, source: KeyPath, target: KeyPath, path: str | None, nested: bool
    ) -> None:
        for mine, theirs in ((self.keys, document.key_spans), (self.values, document.value_spans)):
            if not nested:  # a scalar has only its own key and value spans
                if source in theirs:
                    mine[target] = theirs[source]._replace(path=path)
                continue
            for key, span in theirs.items():
                if key[: len(source)] == source:
                    mine[target + key[len(source) :]] = span._replace(path=path)

    def _merge(self, node: dict, data: dict, target: KeyPath, source: KeyPath, document: YamlDocument, path: str | None) -> None:
        for key, value in data.items():
            here, there = target + (str(key),), source + (str(key),)
            if isinstance(value, str) and value == "???" and key in node:
                continue
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                if (here not in self.keys) and there in document.key_spans:
                    self.keys[here] = document.key_spans[there]._replace(path=path)
                self._merge(node[key], value, here, there, document, path)
                continue
            if key in node:
                self._drop(here)
            node[key] = copy.deepcopy(value)
            self._copy_spans(document, there, here, path, isinstance(value, (dict, list)))

    def add(self, document: YamlDocument, package: str, path: str | None, anchor: Span | None) -> None:
        data = document.data if isinstance(document.data, dict) else {}
        data = {k: v for k, v in data.items() if k != "defaults"}
        prefix: KeyPath = tuple(package.split(".")) if package else ()
        node = self.data
        for depth, part in enumerate(prefix):
            here = prefix[: depth + 1]
            if not isinstance(node.get(part), dict):
                if part in node:
                    self._drop(here)
                node[part] = {}
            if here not in self.keys and anchor is not None:
                self.keys[here] = anchor  # a section only the package creates: the defaults entry
            node = node[part]
        self._merge(node, data, prefix, (), document, path)

    def drop_root(self, key: str) -> None:
        self.data.pop(key, None)
        self._drop((key,))


def _first_difference(mine: Any, theirs: Any, at: str = "") -> str | None:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in list(mine) + [k for k in theirs if k not in mine]:
            where = f"{at}.{key}" if at else str(key)
            if key not in mine or key not in theirs:
                return where
            found = _first_difference(mine[key], theirs[key], where)
            if found:
                return found
        return None
    if type(mine) is not type(theirs) or mine != theirs:
        return at or "<root>"
    return None


# -- the entry point ---------------------------------------------------------------------------


def _notes_only(document: YamlDocument, notes: list[Note], choices: tuple[str, ...] = ()) -> YamlDocument:
    return replace(document, composition=Composition(choices=choices, notes=tuple(notes)))


def _not_composed(why: str) -> str:
    return f"defaults list not composed: {why}"


def _env_notes(entries: tuple[DefaultsEntry, ...], env: dict[str, str]) -> list[Note]:
    notes = []
    for entry in entries:
        missing = [name for name in entry.env_names(with_default=False) if name not in env]
        if missing and entry.loads_file:
            names = ", ".join(missing)
            notes.append(
                Note(
                    "warning",
                    f"defaults entry `{shortened(entry.text, 160)}` depends on environment variable {names}: "
                    f"not composable without --env {missing[0]}=VALUE (the values the job was launched with)",
                    entry.line,
                    entry.col,
                    stops=True,
                )
            )
    return notes


def _hydra_message(error: BaseException) -> str:
    text = str(error).strip()
    cause = error.__cause__ or error.__context__
    if not text and cause is not None:
        text = str(cause).strip()
    return one_line(text.splitlines()[0] if text else type(error).__name__, 300)


def compose_document(
    document: YamlDocument, env: dict[str, str] | None = None, choices: tuple[str, ...] = (), on_disk: bool = True
) -> YamlDocument:
    """The run Hydra composes from `document`'s defaults list, as one document whose spans name
    their files; `document` itself (with notes) when nothing else is merged or it cannot be done."""
    env = env or {}
    entries = defaults_entries(document)
    if not choices and not names_files(document):
        return document
    if not on_disk:
        note = Note("warning", _not_composed("read from stdin, so there is no directory to find its group files in"), stops=True)
        return _notes_only(document, [note], choices)
    env_notes = _env_notes(entries, env)
    if env_notes:
        return _notes_only(document, env_notes, choices)
    root = os.path.dirname(os.path.abspath(document.path))
    name = os.path.basename(document.path).rsplit(".", 1)[0]
    session = _Session(document, root, name)
    if not choices and all(_surely_left_out(entry, session) for entry in entries if entry.loads_file):
        # Only optional entries whose file is not there (launcher configs name userbuffer files that
        # ship elsewhere): Hydra would merge nothing, and starting it costs a third of a second.
        return _notes_only(document, _left_out_notes(entries, (), session), choices)
    try:
        hydra = _run_hydra(session, env, choices)
    except ImportError:
        note = Note("warning", _not_composed("hydra-core is not installed (pip install hydra-core)"), stops=True)
        return _notes_only(document, [note], choices)
    except Exception as error:  # Hydra's and OmegaConf's own errors: the run does not compose
        if session.error is not None:
            raise session.error from None
        if isinstance(error, RecursionError):
            raise InputError(Location(document.path), "defaults lists nested too deeply") from None
        searchpath = isinstance(document.data.get("hydra"), dict) and "searchpath" in document.data["hydra"]
        hint = " (its hydra.searchpath is not searched: group files are looked up beside it)" if searchpath else ""
        note = Note("warning", _not_composed(f"Hydra says: {_hydra_message(error)}{hint}"), stops=True)
        return _notes_only(document, [note], choices)

    notes = [
        Note(
            "warning",
            f"an option name of the defaults list used the default written for environment variable {n}, "
            f"not given with --env: pass --env {n}=VALUE to compose the run as it was launched",
        )
        for n in dict.fromkeys(hydra.used_defaults)
    ]
    files = tuple(
        ComposedFile(
            None if primary else session.display(session.key(path)),
            session.key(path),
            package,
            session.documents[session.key(path)].text,
        )
        for path, package, primary in hydra.order
    )
    notes += _left_out_notes(entries, files, session)
    if not any(f.path is not None for f in files):
        return _notes_only(document, notes, choices)

    merged = _Merged()
    anchor = document.key_spans.get(("defaults",))
    for item in files:
        source = session.documents[item.name]
        merged.add(source, item.package, item.path, anchor)
    merged.drop_root("hydra")  # hydra.compose leaves Hydra's own node out of the result
    difference = _first_difference(merged.data, hydra.result)
    if difference is not None:
        raise InputError(
            Location(document.path),
            f"composing the defaults list: the merge replayed with line numbers differs from hydra.compose at "
            f"{shortened(difference)}; refusing to guess the composed run (please report this config)",
        )
    composition = Composition(files, choices, tuple(notes))
    return YamlDocument(document.path, document.text, merged.data, merged.keys, merged.values, composition)


def _surely_left_out(entry: DefaultsEntry, session: _Session) -> bool:
    """An `optional group: option` entry, both written out, whose file and group directory are absent
    (no other place Hydra searches holds user groups: its own package only has `hydra/...`)."""
    if not (entry.optional and entry.group and isinstance(entry.option, str)) or entry.interpolated:
        return False
    group = entry.group.split("@", 1)[0]
    if not group or group.startswith(("hydra", "/")) or "@" in entry.option:
        return False
    return not os.path.exists(session.full(group))


def _left_out_notes(entries: tuple[DefaultsEntry, ...], files: tuple[ComposedFile, ...], session: _Session) -> list[Note]:
    """Optional entries of the config's own list whose file is not there: Hydra leaves them out."""
    notes = []
    loaded_groups = {f.name.rsplit("/", 1)[0] for f in files if "/" in f.name}
    for entry in entries:
        if not (entry.optional and entry.loads_file and entry.group and isinstance(entry.option, str)):
            continue
        group = entry.group.split("@", 1)[0]
        if group and group not in loaded_groups:
            wanted = session.display(f"{group}/{entry.option}")
            notes.append(
                Note(
                    "info",
                    f"optional defaults entry `{shortened(entry.text, 160)}`: {wanted} is not there, so Hydra "
                    "leaves it out, as it did here",
                    entry.line,
                    entry.col,
                )
            )
    return notes
