"""merge_into: plan keys land in an existing AutoModel recipe; everything else stays as it was."""

from __future__ import annotations

import pytest
import yaml
from golden import check_golden
from target_cases import INPUTS, TARGETS, spec_of

from migrate.emit.automodel_yaml import merge_into
from migrate.errors import InputError
from migrate.plan.automodel import Entry, plan_automodel

MERGE = TARGETS / "merge"
RECIPES = ["recipe", "indented"]
SOURCES = ["bf16_o2_mcore_fp8_hybrid", "fp16_o1_loss_scaling", "launcher_package"]


def _plan(stem: str):
    (case,) = [p for p in INPUTS if p.stem == stem]
    return plan_automodel(spec_of(case))


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


def _top_keys(text: str) -> list[str]:
    return list(yaml.safe_load(text))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("recipe", RECIPES)
def test_merge(recipe: str, source: str) -> None:
    existing = (MERGE / f"{recipe}.yaml").read_text(encoding="utf-8")
    plan = _plan(source)
    merged = merge_into(existing, plan.entries)
    check_golden(MERGE / "merged" / f"{recipe}.{source}.yaml", merged, keep_empty=True)
    # a second merge is a no-op
    assert merge_into(merged, plan.entries) == merged
    # every value the plan asks for is there (PyYAML reads it), and nothing else changed
    expected = yaml.safe_load(existing)
    for entry in plan.entries:
        node = expected
        for part in entry.path[:-1]:
            node = node.setdefault(part, {})
        node[entry.path[-1]] = entry.value
    actual = yaml.safe_load(merged)
    dtype_aliases = {"torch.float32": "float32", "bf16": "bfloat16"}
    for entry in plan.entries:
        node = actual
        for part in entry.path[:-1]:
            node = node[part]
        if entry.dtype:
            node[entry.path[-1]] = dtype_aliases.get(node[entry.path[-1]], node[entry.path[-1]])
    assert actual == expected
    # the recipe's comments and top-level order survive; new blocks come after them
    assert all(comment in merged for comment in _comments(existing))
    assert _top_keys(merged)[: len(_top_keys(existing))] == _top_keys(existing)


def test_equal_dtype_spellings_are_left_alone_and_rejected_ones_replaced() -> None:
    existing = (MERGE / "indented.yaml").read_text(encoding="utf-8")
    merged = merge_into(existing, _plan("bf16_o2_mcore_fp8_hybrid").entries)
    assert "torch_dtype: torch.float32   # already fp32, spelled the torch way" in merged
    assert (
        "param_dtype: bfloat16" in merged and "fp16" not in yaml.safe_load(merged)["distributed"]["mp_policy"].values()
    )
    assert "    keys:\n      - model\n" in merged  # the sequence layout is kept


def test_merging_into_an_empty_file_gives_the_blocks() -> None:
    entries = (Entry(("model", "torch_dtype"), "float32", "why"), Entry(("fp8", "enabled"), False, ""))
    assert merge_into("", entries) == "model:\n  torch_dtype: float32  # why\n\nfp8:\n  enabled: false\n"


def test_a_scalar_in_the_way_becomes_a_mapping() -> None:
    merged = merge_into(
        "distributed: null  # none yet\n", (Entry(("distributed", "mp_policy", "param_dtype"), "bfloat16", ""),)
    )
    assert yaml.safe_load(merged) == {"distributed": {"mp_policy": {"param_dtype": "bfloat16"}}}


@pytest.mark.parametrize(
    "text, where",
    [("model:\n  torch_dtype: [bf16\n", "recipe.yaml:3:1"), ("- a\n- b\n", "recipe.yaml:1:1")],
)
def test_bad_recipes_are_located_errors(text: str, where: str) -> None:
    with pytest.raises(InputError) as error:
        merge_into(text, (Entry(("model", "torch_dtype"), "float32", ""),), path="recipe.yaml")
    assert str(error.value).startswith(where + ": ")


POLICY = (
    Entry(("distributed", "mp_policy", "param_dtype"), "bfloat16", "compute", dtype=True),
    Entry(("distributed", "mp_policy", "output_dtype"), "bfloat16", "output", dtype=True),
)


def test_a_flow_mapping_stays_on_one_line() -> None:
    merged = merge_into("distributed:\n  mp_policy: {param_dtype: bf16}  # short\n# end\n", POLICY)
    assert merged == "distributed:\n  mp_policy: {param_dtype: bf16, output_dtype: bfloat16} # short\n# end\n"


def test_a_file_of_comments_only_keeps_them() -> None:
    merged = merge_into("# to be filled in\n", POLICY)
    assert merged.startswith("# to be filled in\ndistributed:\n")
    assert merge_into(merged, POLICY) == merged


def test_anchors_and_aliases_survive() -> None:
    merged = merge_into("base: &b {x: 1}\nother: *b\n", POLICY)
    assert merged.startswith("base: &b {x: 1}\nother: *b\ndistributed:\n")
    assert yaml.safe_load(merged)["other"] == {"x": 1}


def test_tags_are_never_constructed() -> None:
    merged = merge_into("distributed:\n  mp_policy: !!python/name:os.system\n", POLICY)
    assert yaml.safe_load(merged) == {
        "distributed": {"mp_policy": {"param_dtype": "bfloat16", "output_dtype": "bfloat16"}}
    }


@pytest.mark.parametrize(
    "text, where",
    [("a: 1\na: 2\n", "recipe.yaml:2:1"), ("a: 1\n---\nb: 2\n", "recipe.yaml:2:1")],
)
def test_duplicate_keys_and_several_documents_are_refused(text: str, where: str) -> None:
    with pytest.raises(InputError) as error:
        merge_into(text, POLICY, path="recipe.yaml")
    assert str(error.value).startswith(where + ": invalid YAML")


def test_deep_nesting_is_a_located_error_not_a_crash() -> None:
    with pytest.raises(InputError) as error:
        merge_into("a: " + "[" * 500 + "]" * 500 + "\n", POLICY, path="recipe.yaml")
    assert str(error.value) == "recipe.yaml: YAML nested too deeply"
