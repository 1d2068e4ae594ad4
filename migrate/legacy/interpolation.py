"""Resolve `${...}` with OmegaConf, with environment values taken only from `--env`.

The converting machine is not the training machine, so the process environment is never read:
`${oc.env:NAME,default}` uses the `--env` value, else its written default (recorded so the
output can say so), else the value stays unknown.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Iterator

import omegaconf
from omegaconf import OmegaConf
from omegaconf.basecontainer import BaseContainer
from omegaconf.errors import OmegaConfBaseException

from migrate.legacy.origin import Unknown

_NO_DEFAULT = object()
_NODE_REFERENCE = re.compile(r"\$\{([A-Za-z_][\w-]*)((?:\.[\w-]+)+)\}")


def _register(name: str, function: Any) -> None:
    # OmegaConf 2.4 renamed register_new_resolver; before it, register_resolver was the legacy API.
    major, minor = (int(part) for part in omegaconf.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):
        OmegaConf.register_resolver(name, function, replace=True, annotation_validation="off")
    else:  # pragma: no cover - exercised only with older OmegaConf
        OmegaConf.register_new_resolver(name, function, replace=True)


class Resolver:
    """Lazily builds one OmegaConf container per document and resolves single keys in it."""

    def __init__(self, data: Any, env: dict[str, str]) -> None:
        self._data = data
        self._env = env
        self._cfg = None
        self._defaults_used: list[str] = []
        self.mounts: tuple[str, ...] = ()

    def _container(self):
        if self._cfg is None:
            data = self._data if isinstance(self._data, dict) else {}
            self.mounts = _package_mounts(data)
            if self.mounts:
                data = {**data, **{name: data for name in self.mounts}}
            self._cfg = OmegaConf.create(data)
        return self._cfg

    def _env_lookup(self, name: str, default: Any = _NO_DEFAULT, **_: Any) -> Any:
        if name in self._env:
            return self._env[name]
        if default is _NO_DEFAULT:
            raise KeyError(f"environment variable {name} is not given; pass --env {name}=VALUE")
        self._defaults_used.append(name)
        return None if default is None else str(default)

    @contextlib.contextmanager
    def _own_env_resolver(self) -> Iterator[None]:
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
        self._defaults_used = []
        try:
            with self._own_env_resolver():
                value = OmegaConf.select(
                    self._container(), dotted, throw_on_resolution_failure=True, throw_on_missing=True
                )
        except (OmegaConfBaseException, KeyError, ValueError, TypeError) as exc:
            return Unknown(expression, _reason(exc)), ()
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=False)
        return value, tuple(sorted(set(self._defaults_used)))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _exists(data: Any, parts: list[str]) -> bool:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _package_mounts(data: dict) -> tuple[str, ...]:
    """Hydra package names the file refers to itself by.

    NeMo-Framework-Launcher composes `training/gpt3/5b.yaml` under the key `training`, so its
    values say `${training.trainer.precision}`. A reference whose first part is not a top-level
    key but whose remainder exists in this file is resolved against the file itself.
    """
    names: set[str] = set()
    for text in _strings(data):
        if "${" not in text:
            continue
        for first, rest in _NODE_REFERENCE.findall(text):
            if first not in data and _exists(data, rest.lstrip(".").split(".")):
                names.add(first)
    return tuple(sorted(names))


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("KeyError raised while resolving interpolation: ").strip("'\"")
    if "MissingMandatoryValue" in type(exc).__name__ or text.startswith("Missing mandatory value"):
        return "mandatory value `???` is not set"
    return text
