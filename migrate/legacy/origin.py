"""Where a value came from: a YAML key, a command-line override, or a NeMo 1.0 default."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.errors import Location


@dataclass(frozen=True)
class Origin:
    """Provenance of one effective setting.

    kind is "key" (read from the YAML), "override" (--set), "option" (another command-line option or
    setting, `detail` names it), "default" (NeMo 1.0 code default, `detail` says which) or "derived"
    (computed from other settings, `detail` says how).
    `path` is the file the key was read from when Hydra composed the run from several files;
    None means the config that was converted.
    """

    kind: str
    key: str | None = None
    line: int | None = None
    col: int | None = None
    detail: str | None = None
    via: str | None = None
    path: str | None = None

    @staticmethod
    def default(detail: str) -> Origin:
        return Origin("default", detail=detail)

    @staticmethod
    def option(detail: str) -> Origin:
        return Origin("option", detail=detail)

    @staticmethod
    def derived(detail: str, key: str | None = None, line: int | None = None) -> Origin:
        return Origin("derived", key=key, line=line, detail=detail)

    @staticmethod
    def derived_from(detail: str, source: Origin) -> Origin:
        """Computed from the setting at `source`: keeps its key and position."""
        return Origin(
            "derived", key=source.key, line=source.line, col=source.col, detail=detail, path=source.path
        )

    def location(self, config_path: str) -> Location:
        """Where to point a message: this origin's file (or `config_path`, the converted one), line, column."""
        return Location(self.path or config_path, self.line, self.col)

    def _place(self) -> str:
        """`model.fp8 (line 12)`, or `key (other.yaml:3)` for a key of another composed file."""
        if self.path:
            return f"{self.key} ({self.path}:{self.line})" if self.line else f"{self.key} ({self.path})"
        return f"{self.key} (line {self.line})" if self.line else str(self.key)

    def where(self) -> str | None:
        """Only the place: `model.fp8 (line 12)`, `--set model.fp8=True`, or None for a code default."""
        if self.kind == "override":
            return f"--set {self.detail}"
        if self.kind == "option":
            return self.detail
        if self.key is None:
            return None
        return self._place()

    def describe(self) -> str:
        """Short text for a trailing comment, e.g. `model.fp8_hybrid (line 212)`."""
        if self.kind == "key":
            text = self._place()
        elif self.kind == "override":
            text = f"--set {self.detail}"
        elif self.kind == "option":
            text = str(self.detail)
        elif self.kind == "default":
            text = f"NeMo 1.0 default: {self.detail}"
        else:
            where = self._place() if self.key and self.line else self.key
            text = f"{where}: {self.detail}" if where else str(self.detail)
        if self.via:
            text += f" via {self.via}"
        return text


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the job: the expression is kept."""

    expression: str
    reason: str

    def __str__(self) -> str:
        return f"{self.expression} ({self.reason})"
