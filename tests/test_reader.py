"""The legacy reader: positions of keys, interpolations, env values and overrides."""

from __future__ import annotations

import pytest

from migrate.errors import InputError
from migrate.legacy.interpolation import Unknown
from migrate.legacy.overrides import OverrideSyntaxError, parse_env, parse_override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.yamlsource import parse_yaml

TEXT = """\
trainer:
  precision: bf16
model:
  precision: ${trainer.precision}
  fp8: ${oc.decode:${oc.env:FP8,False}}
  hist: ${oc.env:HIST}
  path: ???
  ref: ${nowhere.key}
  scale: 1e3
"""


def config(text: str = TEXT, overrides=(), env=None) -> LegacyConfig:
    return LegacyConfig(parse_yaml(text, "c.yaml"), [parse_override(o) for o in overrides], env)


def test_key_positions_are_one_based_line_and_column() -> None:
    raw = config().get("model.fp8")
    assert (raw.origin.line, raw.origin.col) == (5, 3)
    assert config().get("trainer.precision").origin.line == 2


def test_interpolation_keeps_the_expression_in_the_origin() -> None:
    raw = config().get("model.precision")
    assert raw.value == "bf16"
    assert raw.origin.via == "${trainer.precision}"


def test_env_default_is_used_and_recorded_when_not_given() -> None:
    raw = config().get("model.fp8")
    assert raw.value is False and raw.env_defaults == ("FP8",)


def test_env_value_comes_from_the_command_line_not_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FP8", "True")
    assert config().get("model.fp8").value is False
    assert config(env={"FP8": "True"}).get("model.fp8").value is True


@pytest.mark.parametrize(("key", "expression"), [
    ("model.hist", "${oc.env:HIST}"), ("model.path", "???"), ("model.ref", "${nowhere.key}"),
])
def test_unresolvable_values_become_unknown_with_the_expression(key: str, expression: str) -> None:
    raw = config().get(key)
    assert isinstance(raw.value, Unknown)
    assert raw.value.expression == expression


def test_yaml_exponent_floats_read_like_omegaconf() -> None:
    assert config().get("model.scale").value == 1000.0


def test_overrides_set_and_delete_with_their_own_origin() -> None:
    c = config(overrides=["model.fp8=True", "+model.new=3", "~model.path"])
    assert c.get("model.fp8").value is True
    assert c.get("model.fp8").origin.describe() == "--set model.fp8=True"
    assert c.get("model.new").value == 3
    assert c.get("model.path") is None


@pytest.mark.parametrize("bad", ["model.fp8", "=1", "a..b=1", "x=[1, 2]"])
def test_malformed_overrides_are_usage_errors(bad: str) -> None:
    with pytest.raises(OverrideSyntaxError):
        parse_override(bad)


def test_malformed_env_is_a_usage_error() -> None:
    with pytest.raises(OverrideSyntaxError):
        parse_env(["FP8"])


def test_invalid_yaml_is_located() -> None:
    with pytest.raises(InputError) as error:
        parse_yaml("a: [1\nb: 2\n", "bad.yaml")
    assert str(error.value).startswith("bad.yaml:2:")


def test_parsed_data_equals_pyyaml_safe_load_on_every_fixture() -> None:
    import yaml
    from cli_helpers import ROOT

    from migrate.legacy import yamlsource

    for path in sorted((ROOT / "fixtures").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            expected = yaml.load(text, Loader=yamlsource._Loader)
        except yaml.YAMLError:
            continue
        assert parse_yaml(text, str(path)).data == expected, path.name


def test_anchors_aliases_and_merge_keys() -> None:
    data = parse_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nl: [*b]\n", "m.yaml").data
    assert data["c"] == {"x": 1, "y": 3} and data["l"] == [{"x": 1, "y": 2}]


@pytest.mark.parametrize(
    "text,where", [("a: 1\n---\nb: 2\n", "two.yaml:2:1"), ("a: !foo 1\n", "two.yaml:1:4")]
)
def test_multiple_documents_and_unknown_tags_are_located_errors(text: str, where: str) -> None:
    with pytest.raises(InputError) as error:
        parse_yaml(text, "two.yaml")
    assert str(error.value).startswith(where)


def test_plain_reference_shortcut_agrees_with_omegaconf() -> None:
    from migrate.legacy.interpolation import Resolver

    data = {
        "trainer": {"precision": 16, "p2": "${trainer.precision}", "flag": True},
        "model": {
            "a": "${trainer.precision}",
            "b": "${trainer.p2}",
            "c": "${trainer.flag}",
            "d": "${model.e}",
            "e": 1.5,
        },
    }
    for key in ("a", "b", "c", "d"):
        expression = data["model"][key]
        fast = Resolver(data, {}).resolve(f"model.{key}", expression)
        slow = Resolver(data, {})._resolve_with_omegaconf(f"model.{key}", expression)
        assert fast == slow and type(fast[0]) is type(slow[0])


def test_env_only_expressions_are_memoised_per_env_value() -> None:
    text = "a: ${oc.decode:${oc.env:MEMO_FP8,False}}\nb: ${oc.decode:${oc.env:MEMO_FP8,False}}\n"
    assert config(text).get("a").value is False
    assert config(text, env={"MEMO_FP8": "True"}).get("b").value is True
    assert config(text).get("b").env_defaults == ("MEMO_FP8",)
    unknown = config("a: ${oc.env:MEMO_NONE}\n").get("a").value
    assert isinstance(unknown, Unknown) and "MEMO_NONE" in unknown.reason
