"""What a rule sees for one file, and how it turns keys, call arguments and origins into Reports."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from migrate.errors import InputError
from migrate.legacy import values as V
from migrate.legacy.layout import Layout
from migrate.legacy.reader import LegacyConfig, RawValue
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION, nemo1_profile
from migrate.legacy.yamlsource import Span, YamlDocument
from migrate.lint.rule import Report
from migrate.spec import Origin
from migrate.target_api.nemo2 import DEFAULT_TARGET_NEMO


@dataclass(frozen=True)
class LintOptions:
    """Which NeMo 1.x semantics legacy files ran with, and which NeMo 2.x release hazards refer to."""

    nemo1_version: str = DEFAULT_NEMO1_VERSION
    target_nemo: str = DEFAULT_TARGET_NEMO
    env: tuple[tuple[str, str], ...] = ()  # values for ${oc.env:NAME}; the process environment is never read


def _path(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split(".")) if dotted else ()


def _report(span: Span, message: str) -> Report:
    return Report(span.line, span.col, span.end_line, span.end_col, message, span.path)


class CachedConfig(LegacyConfig):
    """LegacyConfig whose `get` is memoised: the spec builder and several rules read the same keys,
    and resolving an interpolation is the costliest step of linting a file. Lint applies no
    overrides, so a key's value never changes during a run."""

    def __init__(self, document: YamlDocument, env: dict[str, str] | None = None) -> None:
        super().__init__(document, (), env)
        self._memo: dict[str, RawValue | None] = {}

    def get(self, dotted: str) -> RawValue | None:
        try:
            return self._memo[dotted]
        except KeyError:
            value = self._memo[dotted] = super().get(dotted)
            return value


class YamlContext:
    """A parsed YAML file with helpers that place a Report on a key or on its value."""

    kind = "yaml"

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.path = document.path
        self.data = document.data

    def key_span(self, dotted: str) -> Span | None:
        return self.document.key_spans.get(_path(dotted))

    def value_span(self, dotted: str) -> Span | None:
        return self.document.value_spans.get(_path(dotted))

    def first_span(self) -> Span:
        if self.document.key_spans:
            return min(self.document.key_spans.values(), key=lambda s: (s.line, s.col))
        return Span(1, 1, 1, 1)

    def at_key(self, dotted: str, message: str) -> Report:
        span = self.key_span(dotted)
        return _report(span or self.first_span(), message)

    def at_value(self, dotted: str, message: str) -> Report:
        """On the value when it fits on the key's line, else on the key."""
        span = self.value_span(dotted)
        if span is None or span.end_line != span.line:
            return self.at_key(dotted, message)
        return _report(span, message)

    def lookup(self, dotted: str, default: Any = None) -> Any:
        node = self.data
        for part in _path(dotted):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


class LegacyContext(YamlContext):
    """A NeMo 1.0 config: raw values, and lazily its effective spec and NeMo 2.0 plan."""

    kind = "legacy"

    def __init__(self, config: LegacyConfig, layout: Layout, options: LintOptions) -> None:
        super().__init__(config.document)
        self.config = config
        self.layout = layout
        self.options = options
        self.profile = nemo1_profile(options.nemo1_version)
        self.refusal_lines: set[int] = set()  # lines a refusal rule reported (see NMP100)
        self.not_expressible = None  # set when the run is one no target can express

    def model_key(self, name: str) -> str:
        return self.layout.key(name)

    def get(self, dotted: str) -> RawValue | None:
        return self.config.get(dotted)

    def known(self, dotted: str) -> Any:
        """The resolved value, or None when absent or not resolvable."""
        raw = self.get(dotted)
        return raw.value if raw is not None and raw.known else None

    def flag(self, name: str) -> bool | None:
        """A model boolean as NeMo 1.0 reads it; None when absent or not a readable boolean."""
        raw = self.get(self.model_key(name))
        if raw is None:
            return None
        try:
            return V.as_bool(raw, self.path)
        except InputError:
            return None

    def precision(self, dotted: str) -> str | None:
        """A precision key as a dtype ("fp32"/"fp16"/"bf16"); None when absent or invalid."""
        raw = self.get(dotted)
        if raw is None:
            return None
        try:
            return V.as_precision(raw, self.path)
        except InputError:
            return None

    def trainer_precision_key(self) -> str | None:
        if self.layout.has_trainer:
            key = self.layout.trainer_key("precision")
            return key if self.config.has(key) else None
        return self.model_key("precision") if self.config.has(self.model_key("precision")) else None

    def compute_dtype(self) -> str | None:
        """model.precision when valid, else the trainer's; the default fp32 when neither is written."""
        model = self.precision(self.model_key("precision"))
        if model is not None:
            return model
        key = self.trainer_precision_key()
        if key is None:
            return None if self.config.has(self.model_key("precision")) else "fp32"
        return self.precision(key)

    def anchor(self) -> str:
        """The key a report about an absent setting points at: the model section, else the file start."""
        if self.layout.model and self.key_span(self.layout.model):
            return self.layout.model
        return ""

    def at_origin(self, origin: Origin | None, message: str, fallback: str | None = None) -> Report:
        """On the key an Origin names (a written key, or the key a derived value came from)."""
        if origin is not None and origin.key and self.key_span(origin.key):
            return self.at_key(origin.key, message)
        if origin is not None and origin.line:
            line = origin.line
            col = origin.col or 1
            return Report(line, col, line, col + 1, message, origin.path)
        if fallback and self.key_span(fallback):
            return self.at_key(fallback, message)
        anchor = self.anchor()
        return self.at_key(anchor, message) if anchor else _report(self.first_span(), message)

    @cached_property
    def _spec_result(self):
        from migrate.legacy.semantics import NotExpressible, build_spec

        try:
            return build_spec(self.config, self.layout, self.profile), None
        except InputError as error:  # placed in the composed file the value came from
            return None, InputError(self.config.relocated(error.location), error.message, error.code)
        except NotExpressible as error:
            self.not_expressible = error
            return None, None

    @property
    def spec(self):
        return self._spec_result[0]

    @property
    def spec_error(self) -> InputError | None:
        return self._spec_result[1]

    @cached_property
    def _plan_result(self):
        from migrate.plan.targets import plan_nemo2

        if self.spec is None:
            return None, None
        try:
            return plan_nemo2(self.spec, self.options.target_nemo), None
        except InputError as error:
            return None, error

    @property
    def plan(self):
        return self._plan_result[0]

    def findings(self) -> tuple:
        """Spec and plan findings (the plan repeats the spec's); empty when the spec cannot be built,
        except the one saying why a run no target can express was not migrated."""
        if self.plan is not None:
            return self.plan.findings
        if self.spec is not None:
            return self.spec.findings
        if self.not_expressible is not None:
            from migrate.spec import Finding

            error = self.not_expressible
            return (Finding("not-expressible", "warning", error.message, error.origin),)
        return ()


class AutomodelContext(YamlContext):
    kind = "automodel"


class PythonContext:
    """A Python file parsed with libcst (never run); calls of the precision classes with positions."""

    kind = "python"

    def __init__(self, path: str, text: str, module: Any, calls: list, positions: Any,
                 target_nemo: str = DEFAULT_TARGET_NEMO) -> None:
        self.path = path
        self.text = text
        self.module = module
        self.all_calls = calls
        self._positions = positions
        self.target_nemo = target_nemo  # the NeMo 2.x release whose plugin signature applies

    def calls(self, name: str) -> list:
        return [call for call in self.all_calls if call.name == name]

    def _node_report(self, node: Any, message: str) -> Report:
        where = self._positions[node]
        return Report(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, message)

    def at_call(self, call: Any, message: str) -> Report:
        return self._node_report(call.node.func, message)

    def keyword(self, call: Any, name: str) -> Any:
        for arg in call.node.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg
        return None

    def at_keyword(self, call: Any, name: str, message: str) -> Report:
        arg = self.keyword(call, name)
        return self._node_report(arg.keyword, message) if arg is not None else self.at_call(call, message)

    def at_argument_value(self, call: Any, name: str, message: str) -> Report:
        arg = self.keyword(call, name)
        return self._node_report(arg.value, message) if arg is not None else self.at_call(call, message)
