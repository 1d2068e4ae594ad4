"""Resolve `${...}` with OmegaConf, with environment values taken only from `--env`.

The converting machine is not the training machine, so the process environment is never read:
`${oc.env:NAME,default}` uses the `--env` value, else its written default (recorded so the
output can say so), else the value stays unknown.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the job: the expression is kept."""

    expression: str
    reason: str

    def __str__(self) -> str:
        return f"{self.expression} ({self.reason})"


_NO_DEFAULT = object()
_MISSING = object()
# The innermost `${a.b.c}` / `${.sibling}` node references (resolver calls contain a colon).
_REFERENCE = re.compile(r"\$\{\s*([.\w-]+(?:\.[\w-]+)*)\s*\}")
_RESOLVER_CALL = re.compile(r"\$\{\s*([\w.]+)\s*:")
# Resolvers whose result depends only on the expression and the --env values (never on the config).
_PURE_RESOLVERS = frozenset({"oc.env", "oc.decode"})
_PURE_RESULTS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, tuple[str, ...]]] = {}
_PLAIN_REFERENCE = re.compile(r"\$\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}")


def _omegaconf() -> Any:
    """Imported on first use: most keys the tool reads hold no interpolation (keeps `lint` fast)."""
    import omegaconf

    return omegaconf


def _register(name: str, function: Any) -> None:
    omegaconf = _omegaconf()
    OmegaConf = omegaconf.OmegaConf
    # OmegaConf 2.4 renamed register_new_resolver; before it, register_resolver was the legacy API.
    major, minor = (int(part) for part in omegaconf.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):
        OmegaConf.register_resolver(name, function, replace=True, annotation_validation="off")
    else:  # pragma: no cover - exercised only with older OmegaConf
        OmegaConf.register_new_resolver(name, function, replace=True)


class Resolver:
    """Resolves single keys in a small OmegaConf container holding only what they reference.

    OmegaConf builds a node per value, which costs milliseconds on a large config; the keys the
    tool reads reference a handful of others, so only those (transitively) are copied in.
    """

    def __init__(self, data: Any, env: dict[str, str]) -> None:
        self._data = data if isinstance(data, dict) else {}
        self._env = env
        self._defaults_used: list[str] = []
        self.mounts: tuple[str, ...] = ()

    def _container(self, dotted: str):
        pruned: dict = {}
        pending = [dotted.split(".")]
        seen: set[tuple[str, ...]] = set()
        while pending:
            parts = pending.pop()
            if tuple(parts) in seen:
                continue
            seen.add(tuple(parts))
            value = _lookup(self._data, parts)
            if value is _MISSING and len(parts) > 1 and parts[0] not in self._data:
                # NeMo-Framework-Launcher composes `training/gpt3/5b.yaml` under the key `training`,
                # so the file says `${training.trainer.precision}` of its own keys.
                value = _lookup(self._data, parts[1:])
                if value is not _MISSING:
                    self.mounts = tuple(sorted(set(self.mounts) | {parts[0]}))
            if value is _MISSING:
                continue
            _insert(pruned, parts, copy.deepcopy(value))
            for text in _strings(value):
                for reference in _REFERENCE.findall(text):
                    pending.append(_absolute(reference, parts))
        return _omegaconf().OmegaConf.create(pruned)

    def _env_lookup(self, name: str, default: Any = _NO_DEFAULT, **_: Any) -> Any:
        if name in self._env:
            return self._env[name]
        if default is _NO_DEFAULT:
            raise KeyError(f"environment variable {name} is not given; pass --env {name}=VALUE")
        self._defaults_used.append(name)
        return None if default is None else str(default)

    @contextlib.contextmanager
    def _own_env_resolver(self) -> Iterator[None]:
        from omegaconf.basecontainer import BaseContainer

        registry = BaseContainer._resolvers
        saved = registry.get("oc.env")
        _register("oc.env", self._env_lookup)
        try:
            yield
        finally:
            if saved is None:
                registry.pop("oc.env", None)
            else:
                registry["oc.env"] = saved

    def resolve(self, dotted: str, expression: str) -> tuple[Any, tuple[str, ...]]:
        """Value of `dotted` and the env variables whose written default it used."""
        shortcut = self._plain_reference(expression, depth=0)
        if shortcut is not _MISSING:
            return shortcut
        if _REFERENCE.search(expression) is None and set(_RESOLVER_CALL.findall(expression)) <= _PURE_RESOLVERS:
            # `${oc.decode:${oc.env:FP8,False}}` repeats across configs: its value needs no config data
            key = (expression, tuple(sorted(self._env.items())))
            if key not in _PURE_RESULTS:
                if len(_PURE_RESULTS) > 10_000:
                    _PURE_RESULTS.clear()
                _PURE_RESULTS[key] = self._resolve_with_omegaconf(dotted, expression)
            return _PURE_RESULTS[key]
        return self._resolve_with_omegaconf(dotted, expression)

    def _plain_reference(self, expression: str, depth: int) -> Any:
        """`${a.b.c}` alone, pointing at a plain value: the same answer OmegaConf gives, without its parser."""
        match = _PLAIN_REFERENCE.fullmatch(expression)
        if match is None or depth > 8:
            return _MISSING
        parts = match.group(1).split(".")
        value = _lookup(self._data, parts)
        if value is _MISSING and len(parts) > 1 and parts[0] not in self._data:
            value = _lookup(self._data, parts[1:])
            if value is not _MISSING:
                self.mounts = tuple(sorted(set(self.mounts) | {parts[0]}))
        if value is _MISSING or isinstance(value, (dict, list)) or value == "???":
            return _MISSING  # let OmegaConf produce its own answer or error
        if isinstance(value, str) and "${" in value:
            inner = self._plain_reference(value, depth + 1)
            return _MISSING if inner is _MISSING else inner
        return value, ()

    def _resolve_with_omegaconf(self, dotted: str, expression: str) -> tuple[Any, tuple[str, ...]]:
        self._defaults_used = []
        OmegaConf = _omegaconf().OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        try:
            with self._own_env_resolver():
                value = OmegaConf.select(
                    self._container(dotted), dotted, throw_on_resolution_failure=True, throw_on_missing=True
                )
        except (OmegaConfBaseException, KeyError, ValueError, TypeError) as exc:
            if isinstance(exc.__cause__ or exc.__context__, RecursionError):
                return Unknown(expression, "interpolations nested too deeply"), ()
            return Unknown(expression, _reason(exc)), ()
        except RecursionError:
            return Unknown(expression, "interpolations nested too deeply"), ()
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=False)
        return value, tuple(sorted(set(self._defaults_used)))


def _lookup(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _insert(tree: dict, parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[parts[-1]] = value


def _absolute(reference: str, at: list[str]) -> list[str]:
    """`${a.b}` is absolute; `${.x}` is a sibling of the referring key, `${..x}` one level up."""
    if not reference.startswith("."):
        return reference.split(".")
    dots = len(reference) - len(reference.lstrip("."))
    base = at[: max(len(at) - dots, 0)]
    return base + reference.lstrip(".").split(".")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if "${" in node:
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("KeyError raised while resolving interpolation: ").strip("'\"")
    if "MissingMandatoryValue" in type(exc).__name__ or text.startswith("Missing mandatory value"):
        return "mandatory value `???` is not set"
    return text
