"""What every NeMo 1.0 fact function reads through: typed values with their origin, findings, refusals.

Values are read lazily, only where NeMo 1.0 would read them, so an unresolvable value is an error
only when the result depends on it. Keys are named relative to the run's sections (`model.fp8`,
`trainer.precision`), so a file holding several runs (an actor and a critic) reads each the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrate.errors import InputError, Location, shown
from migrate.legacy.layout import Layout
from migrate.legacy.reader import LegacyConfig, RawValue
from migrate.legacy.versions import Release
from migrate.spec import Finding, Origin, Setting

Convert = Callable[[RawValue, str], Any]


class FactReader:
    """Reads one run of one config under one release's rules and collects what the user must know."""

    def __init__(self, config: LegacyConfig, layout: Layout, release: Release, builder: str | None = None) -> None:
        self.config = config
        self.layout = layout
        self.release = release
        self.builder_override = builder  # --trainer-builder, when given
        self.path = config.path
        self.findings: list[Finding] = []
        self._reported_env: set[str] = set()

    # -- keys --------------------------------------------------------------------------------
    def model_key(self, name: str) -> str:
        return self.layout.key(name)

    def trainer_key(self, name: str) -> str:
        return self.layout.trainer_key(name)

    def raw(self, dotted: str) -> RawValue | None:
        """The resolved value at a full dotted key; reports once when an env default was assumed."""
        raw = self.config.get(dotted)
        if raw is not None and raw.env_defaults and dotted not in self._reported_env:
            self._reported_env.add(dotted)
            names = ", ".join(raw.env_defaults)
            self.note(
                "env-default-used",
                "warning",
                f"{dotted} depends on environment variable {names}, not given with --env: the default "
                f"written in the config was used ({shown(raw.value)}); pass --env {raw.env_defaults[0]}=VALUE "
                "to migrate the value your jobs really set",
                raw.origin,
            )
        return raw

    def written(self, dotted: str) -> RawValue | None:
        """The value without reporting env defaults (for keys looked at, not used)."""
        return self.config.get(dotted)

    def read(self, dotted: str, convert: Convert, default: Any, default_detail: str) -> Setting[Any]:
        raw = self.raw(dotted)
        if raw is None:
            return Setting(default, Origin.default(default_detail))
        return Setting(convert(raw, self.path), raw.origin)

    def model(self, name: str, convert: Convert, default: Any, detail: str) -> Setting[Any]:
        return self.read(self.model_key(name), convert, default, detail)

    # -- findings ------------------------------------------------------------------------------
    def note(self, code: str, severity: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, severity, message, origin))

    def fail(self, origin: Origin | None, message: str, code: str = "NMP100") -> InputError:
        """The refusal to raise: located at the key, with the rule code that owns it."""
        if origin is None:
            return InputError(Location(self.path), message, code)
        return InputError(Location(self.path, origin.line, origin.col), message, code)
