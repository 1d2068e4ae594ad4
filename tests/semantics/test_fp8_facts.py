"""FP8 facts of NeMo 1.0: the Megatron code path, Transformer Engine layers, the format and the recipe."""

from __future__ import annotations

import pytest
from facts import codes, reader

from migrate.errors import InputError
from migrate.legacy import fp8 as F
from migrate.legacy import precision as P

BF16 = {"trainer.precision": "bf16", "model.megatron_amp_O2": True}
FP8 = {**BF16, "model.transformer_engine": True, "model.fp8": True, "model.fp8_hybrid": True}


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({**BF16, "model.mcore_gpt": True}, "1.21", "mcore", id="mcore_gpt read from 1.21"),
        pytest.param({**BF16, "model.mcore_gpt": True}, "1.20", "legacy", id="mcore_gpt inert before 1.21"),
        pytest.param({**BF16, "model.mcore_bert": True}, "1.23", "mcore", id="mcore_bert read from 1.23"),
        pytest.param({**BF16, "model.mcore_bert": True}, "1.22", "legacy", id="mcore_bert inert before 1.23"),
        pytest.param({**BF16, "model.mcore_t5": True}, "2.x", "mcore", id="mcore_t5 only on the 2.x tree"),
        pytest.param({**BF16, "model.mcore_t5": True}, "1.23", "legacy", id="mcore_t5 inert in every 1.x"),
        pytest.param({**BF16, "model.mcore_gpt": False}, "1.23", "legacy", id="mcore_gpt False"),
    ],
)
def test_code_path(keys, release, expected) -> None:
    assert F.code_path(reader(keys, release)).value == expected


def _fp8(keys, release="1.23"):
    r = reader(keys, release)
    fsdp = P.fsdp(r)
    return F.fp8_settings(r, F.code_path(r), F.transformer_engine(r), fsdp), r


@pytest.mark.parametrize(
    ("keys", "release", "active"),
    [
        pytest.param(FP8, "1.23", True, id="legacy path with transformer_engine: FP8 runs"),
        pytest.param({**FP8, "model.transformer_engine": False}, "1.23", False, id="legacy path without TE layers: no effect"),
        pytest.param({**FP8, "model.transformer_engine": False, "model.mcore_gpt": True}, "1.23", True,
                     id="1.21-1.23 mcore path always builds the TE spec"),
        pytest.param({**FP8, "model.transformer_engine": False, "model.mcore_gpt": True}, "2.x", False,
                     id="2.x mcore path builds the local spec without transformer_engine"),
        pytest.param(FP8, "1.12", False, id="no FP8 before 1.13"),
        pytest.param({**BF16, "model.fp8": True, "model.fp8_hybrid": True}, "1.23", False,
                     id="transformer_engine absent: code default False, the legacy path builds no TE layers"),
    ],
)
def test_fp8_active(keys, release, active) -> None:
    fp8, _ = _fp8(keys, release)
    assert fp8.active.value is active


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param({**FP8, "model.fp8_e4m3": True}, "e4m3", id="E4M3 is checked before hybrid"),
        pytest.param(FP8, "hybrid", id="hybrid"),
    ],
)
def test_fp8_format(keys, expected) -> None:
    assert _fp8(keys)[0].format.value == expected


def test_fp8_without_format_and_with_fsdp_are_refused() -> None:
    with pytest.raises(InputError, match="neither fp8_e4m3 nor fp8_hybrid"):
        _fp8({**FP8, "model.fp8_hybrid": False})
    with pytest.raises(InputError, match="neither fp8_e4m3 nor fp8_hybrid"):  # both default to False (mgm:1699-1706)
        _fp8({**BF16, "model.transformer_engine": True, "model.fp8": True})
    with pytest.raises(InputError, match="Torch FSDP does not support FP8"):
        _fp8({**FP8, "model.fsdp": True})


@pytest.mark.parametrize(
    ("keys", "release", "history", "algo"),
    [
        pytest.param(FP8, "1.21", 1, "most_recent", id="legacy path defaults 1 / most_recent before 1.22"),
        pytest.param(FP8, "1.22", 1024, "max", id="1.22 (b97ee352) legacy defaults 1024 / max"),
        pytest.param({**FP8, "model.mcore_gpt": True}, "1.23", 1, "most_recent", id="mcore path: Megatron-core defaults"),
        pytest.param({**FP8, "model.fp8_amax_history_len": 16, "model.fp8_amax_compute_algo": "max"}, "1.21", 16, "max",
                     id="written values win"),
    ],
)
def test_delayed_scaling_defaults(keys, release, history, algo) -> None:
    fp8, _ = _fp8(keys, release)
    assert (fp8.amax_history_len.value, fp8.amax_compute_algo.value, fp8.recipe.value) == (history, algo, "delayed")


@pytest.mark.parametrize(
    ("keys", "release", "expected", "note"),
    [
        pytest.param({**FP8, "model.reduce_amax": False}, "1.23", False, "reduce-amax-false", id="legacy path reads reduce_amax"),
        pytest.param({**FP8, "model.reduce_amax": False}, "1.14", True, "reduce-amax-ignored", id="reduce_amax first read in 1.15"),
        pytest.param({**FP8, "model.reduce_amax": False, "model.mcore_gpt": True}, "1.23", True, "reduce-amax-ignored",
                     id="mcore path never passes reduce_amax"),
    ],
)
def test_reduce_amax(keys, release, expected, note) -> None:
    fp8, r = _fp8(keys, release)
    assert fp8.reduce_amax.value is expected
    assert note in codes(r)


@pytest.mark.parametrize(
    ("keys", "release", "code", "noted"),
    [
        pytest.param({**BF16, "model.fp8": True}, "1.12", "fp8-before-1-13", True, id="model.fp8 first read in v1.13.0 (mgm:185-192)"),
        pytest.param({**BF16, "model.fp8": False}, "1.12", "fp8-before-1-13", False, id="fp8: False before 1.13: nothing lost"),
        pytest.param(BF16, "1.12", "fp8-before-1-13", False, id="no fp8 key before 1.13: nothing to say"),
        pytest.param({**FP8, "model.transformer_engine": False}, "1.23", "fp8-without-te", True,
                     id="legacy path without TE layers: fp8_autocast has nothing to run in FP8"),
        pytest.param(FP8, "1.23", "fp8-without-te", False, id="legacy path with transformer_engine: FP8 runs"),
        pytest.param({**BF16, "model.transformer_engine": False}, "1.23", "fp8-without-te", False, id="FP8 off: nothing to say"),
        pytest.param(FP8, "1.23", "fp8-interval-dropped", False, id="fp8_interval 1 (default): nothing dropped"),
        pytest.param({**FP8, "model.fp8_interval": 2}, "1.23", "fp8-interval-dropped", True,
                     id="fp8_interval 2: TE >= 1.8 ignores the interval"),
        pytest.param(FP8, "1.23", "reduce-amax-false", False, id="reduce_amax True (default): TE all-reduces the amax as NeMo 2.0 does"),
        pytest.param({**BF16, "model.fp8_params": True}, "1.23", "fp8-params-without-fp8", True,
                     id="fp8_params without fp8: GPT __init__ uses fp8_model_init only when fp8 and fp8_params"),
        pytest.param({**BF16, "model.fp8_params": False}, "1.23", "fp8-params-without-fp8", False, id="fp8_params False: nothing to say"),
    ],
)
def test_fp8_notes(keys, release, code, noted) -> None:
    _, r = _fp8(keys, release)
    assert (code in codes(r)) is noted


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({**FP8, "model.fp8_params": True}, "1.23", True, id="fp8_model_init when fp8 and fp8_params (1.23)"),
        pytest.param({**FP8, "model.fp8_params": True}, "1.22", False, id="fp8_params first read in 1.23"),
        pytest.param({**BF16, "model.fp8_params": True}, "1.23", False, id="no effect while FP8 is off"),
    ],
)
def test_fp8_params(keys, release, expected) -> None:
    assert _fp8(keys, release)[0].params.value is expected


def test_recipe_fields_are_read_only_on_the_2x_mcore_path() -> None:
    keys = {**FP8, "model.mcore_gpt": True, "model.fp8_recipe": "tensorwise", "model.first_last_layers_bf16": True}
    fp8, _ = _fp8(keys, "2.x")
    assert (fp8.recipe.value, fp8.first_last_layers_bf16.value) == ("tensorwise", True)
    fp8, r = _fp8(keys, "1.23")
    assert (fp8.recipe.value, fp8.first_last_layers_bf16.value) == ("delayed", False)
    assert "fp8-recipe-ignored" in codes(r)


def test_delayed_recipe_with_bf16_edge_layers_is_refused() -> None:
    with pytest.raises(InputError, match="Megatron-core rejects"):
        _fp8({**FP8, "model.mcore_gpt": True, "model.first_last_layers_bf16": True}, "2.x")


MCORE_FP8 = {**FP8, "model.mcore_gpt": True}


@pytest.mark.parametrize(
    ("keys", "release", "field", "expected", "note"),
    [
        pytest.param(MCORE_FP8, "1.23", "wgrad", True, None, id="mcore: fp8_wgrad defaults to True (Megatron-core)"),
        pytest.param({**MCORE_FP8, "model.fp8_wgrad": False}, "1.23", "wgrad", False, None, id="mcore reads fp8_wgrad"),
        pytest.param({**FP8, "model.fp8_wgrad": False}, "1.23", "wgrad", True, "fp8-wgrad-ignored",
                     id="legacy path runs the wgrad GEMM in FP8 regardless"),
        pytest.param({**MCORE_FP8, "model.fp8_dot_product_attention": True}, "2.x", "dot_product_attention", True, None,
                     id="2.x Megatron-core reads FP8 attention"),
        pytest.param({**MCORE_FP8, "model.fp8_multi_head_attention": True}, "1.23", "multi_head_attention", False,
                     "fp8-multi-head-attention-ignored", id="Megatron-core 0.5 (1.23) has no FP8 attention fields"),
        pytest.param({**FP8, "model.fp8_dot_product_attention": True}, "2.x", "dot_product_attention", False,
                     "fp8-dot-product-attention-ignored", id="only the mcore path reads FP8 attention"),
        pytest.param(FP8, "1.23", "margin", 0, None, id="fp8_margin defaults to 0"),
        pytest.param({**FP8, "model.fp8_margin": 2}, "1.23", "margin", 2, None, id="fp8_margin read"),
        pytest.param(FP8, "1.23", "interval", 1, None, id="fp8_interval defaults to 1"),
        pytest.param({**FP8, "model.fp8_interval": 4}, "1.23", "interval", 4, "fp8-interval-dropped",
                     id="fp8_interval is read but TE >= 1.8 ignores it"),
        pytest.param({**BF16, "model.fp8_margin": 3}, "1.23", "margin", 0, None, id="FP8 keys are not read while FP8 is off"),
        pytest.param({**FP8, "model.fp8_margin": 0}, "1.23", "margin", 0, None, id="fp8_margin 0 written: TE's own default"),
        pytest.param({**FP8, "model.fp8_amax_history_len": 1}, "1.23", "amax_history_len", 1, None,
                     id="fp8_amax_history_len 1 written: the shortest history TE accepts"),
        pytest.param(MCORE_FP8, "2.x", "dot_product_attention", False, None,
                     id="2.x mcore: fp8_dot_product_attention defaults to False (TransformerConfig)"),
        pytest.param(MCORE_FP8, "2.x", "multi_head_attention", False, None,
                     id="2.x mcore: fp8_multi_head_attention defaults to False (TransformerConfig)"),
        pytest.param({**MCORE_FP8, "model.fp8_dot_product_attention": True}, "1.23", "dot_product_attention", False,
                     "fp8-dot-product-attention-ignored", id="Megatron-core 0.5 (1.23) has no fp8_dot_product_attention"),
        pytest.param(MCORE_FP8, "1.23", "dot_product_attention", False, None, id="1.23 mcore: no FP8 attention at all"),
        pytest.param(FP8, "1.23", "multi_head_attention", False, None, id="legacy path: no FP8 attention"),
        pytest.param(FP8, "1.23", "reduce_amax", True, None, id="legacy path: reduce_amax defaults to True (mgm cfg.get)"),
    ],
)
def test_recipe_keys_and_their_defaults(keys, release, field, expected, note) -> None:
    fp8, r = _fp8(keys, release)
    assert getattr(fp8, field).value == expected
    if note:
        assert note in codes(r)


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({**MCORE_FP8, "model.fp8_recipe": "tensorwise", "model.first_last_layers_bf16": True}, "2.x", (True, 1, 1),
                     id="2.x: Megatron-core's own 1 / 1 edge layers"),
        pytest.param({**MCORE_FP8, "model.fp8_recipe": "tensorwise", "model.first_last_layers_bf16": True,
                      "model.num_layers_at_start_in_bf16": 2, "model.num_layers_at_end_in_bf16": 3}, "2.x", (True, 2, 3),
                     id="2.x reads the edge-layer counts"),
        pytest.param({**MCORE_FP8, "model.num_layers_at_start_in_bf16": 2}, "1.23", (False, 1, 1), id="1.23 reads no recipe fields"),
        pytest.param({**MCORE_FP8, "model.fp8_recipe": "tensorwise", "model.first_last_layers_bf16": True,
                      "model.num_layers_at_start_in_bf16": 0}, "2.x", (True, 0, 1), id="2.x: no bf16 layer at the start is a valid count"),
    ],
)
def test_bf16_edge_layers(keys, release, expected) -> None:
    fp8, _ = _fp8(keys, release)
    assert (fp8.first_last_layers_bf16.value, fp8.num_layers_at_start_in_bf16.value, fp8.num_layers_at_end_in_bf16.value) == expected


def test_an_inert_mcore_flag_is_reported() -> None:
    r = reader({**BF16, "model.mcore_gpt": True}, "1.20")
    assert F.code_path(r).value == "legacy"
    assert "mcore-gpt-ignored" in codes(r)
    quiet = reader({**BF16, "model.mcore_gpt": False}, "1.20")
    F.code_path(quiet)
    assert codes(quiet) == []
