"""NeMo 1.0 facts about FP8: the Megatron code path, whether Transformer Engine layers ran, the FP8
format and the delayed-scaling recipe with its defaults.

Sources: nemo1-nemo2-semantics.md section 2 (2.1 keys and defaults per code path, 2.2 the legacy
path's DelayedScaling); research notes A.1 (FP8 per release) and A.2 (mcore flags per release).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrate.legacy import values as V
from migrate.legacy.reading import Convert, FactReader
from migrate.spec import Fp8, Origin, Setting

FP8_RECIPES = ("delayed", "tensorwise", "blockwise", "mxfp8")
AMAX_ALGOS = ("max", "most_recent")
_RECIPE_FIELDS = ("fp8_recipe", "first_last_layers_bf16", "fp8_param", "tp_only_amax_red")


def code_path(r: FactReader) -> Setting[str]:
    """"mcore" when a Megatron-core flag this release reads is true (mcore_gpt from 1.21, mcore_bert from
    1.23, mcore_t5 only on the 2.x tree), else the legacy Megatron path."""
    readable = r.release.mcore_flags
    for flag in ("mcore_gpt", "mcore_bert", "mcore_t5"):
        key = r.model_key(flag)
        if flag not in readable:
            raw = r.written(key)
            if raw is not None and raw.known and raw.value is True:
                r.note(
                    f"{flag.replace('_', '-')}-ignored",
                    "warning",
                    f"NeMo {r.release.name} has no {flag} reader (the key is inert there): the legacy Megatron path ran",
                    raw.origin,
                )
            continue
        raw = r.raw(key)
        if raw is not None and V.as_bool(raw, r.path):
            return Setting("mcore", raw.origin)
    raw = r.written(r.model_key("mcore_gpt"))
    if raw is not None:
        return Setting("legacy", raw.origin)
    return Setting("legacy", Origin.default("mcore_gpt = False (code default): legacy Megatron path"))


def transformer_engine(r: FactReader) -> Setting[bool]:
    return r.model("transformer_engine", V.as_bool, False, "transformer_engine = False (code default)")


def te_layers(r: FactReader, path: Setting[str], te: Setting[bool]) -> tuple[bool, str]:
    """Are Transformer Engine layers built (without them fp8_autocast does nothing)? Legacy path: only with
    transformer_engine: True; mcore path: always the TE spec in 1.21-1.23, the local spec for
    transformer_engine: False on the 2.x tree."""
    if path.value != "mcore":
        return te.value, "legacy path uses TE layers only with transformer_engine: True"
    if r.release.mcore_honours_transformer_engine:
        return te.value, "mcore path builds the local (non-TE) spec when transformer_engine is False"
    return True, f"mcore path always builds the TE spec on NeMo {r.release.name}"


def fp8_format(r: FactReader, requested: Setting[bool], fsdp: Setting[bool]) -> Setting[str | None]:
    """E4M3 is checked before hybrid (v1.23.0 mgm:1699-1706); neither set is an error in every release."""
    if not requested.value:
        return Setting(None, Origin.default("FP8 off"))
    if fsdp.value:
        raise r.fail(fsdp.origin, "fsdp: True with fp8: True: NeMo 1.0 raises 'Torch FSDP does not support FP8.'", "NMP110")
    e4m3 = r.model("fp8_e4m3", V.as_bool, False, "fp8_e4m3 = False")
    hybrid = r.model("fp8_hybrid", V.as_bool, False, "fp8_hybrid = False")
    if e4m3.value:
        if hybrid.value:
            r.note(
                "fp8-both-formats",
                "warning",
                "fp8_e4m3 and fp8_hybrid are both True: NeMo 1.0 checks fp8_e4m3 first and ignores fp8_hybrid, so FP8 "
                "ran in E4M3 (gradients too); keep only the format you mean",
                hybrid.origin,
            )
        return Setting("e4m3", e4m3.origin)
    if hybrid.value:
        return Setting("hybrid", hybrid.origin)
    raise r.fail(
        requested.origin,
        "fp8: True but neither fp8_e4m3 nor fp8_hybrid is True: NeMo 1.0 raises "
        "'fp8 enabled but fp8_format (fp8_e4m3 | fp8_hybrid) is not set.'",
        "NMP101",
    )


def fp8_requested(r: FactReader) -> Setting[bool]:
    """`model.fp8`, read from NeMo 1.13."""
    if not r.release.has_fp8:
        raw = r.written(r.model_key("fp8"))
        if raw is not None and raw.known and raw.value is True:
            r.note("fp8-before-1-13", "warning", f"FP8 arrived in NeMo 1.13; NeMo {r.release.name} trained without it", raw.origin)
        return Setting(False, Origin.default(f"no FP8 in NeMo {r.release.name}"))
    return r.model("fp8", V.as_bool, False, "fp8 = False (code default)")


def fp8_settings(r: FactReader, path: Setting[str], te: Setting[bool], fsdp: Setting[bool]) -> Fp8:
    """Everything Transformer Engine's recipe received, with NeMo 1.0's defaults for absent keys."""
    release = r.release
    mcore = path.value == "mcore"
    requested = fp8_requested(r)
    fmt = fp8_format(r, requested, fsdp)
    layers, why = te_layers(r, path, te)
    active_value = bool(requested.value and layers)
    if requested.value and not layers:
        r.note(
            "fp8-without-te",
            "warning",
            f"fp8: True has no effect: {why}; the legacy run trained without FP8, so the migration leaves FP8 off "
            "(NeMo 2.0 always builds TE layers and would run FP8 if asked)",
            te.origin,
        )
    active = Setting(
        active_value,
        requested.origin
        if active_value
        else Origin.derived_from(why if requested.value else "fp8 off", te.origin if requested.value else requested.origin),
    )
    key = _KeyReader(r, active_value)
    if mcore:
        history = key.read("fp8_amax_history_len", _history, 1, "mcore path: Megatron-core default fp8_amax_history_len = 1")
        algo = key.read(
            "fp8_amax_compute_algo", _algo, "most_recent", "mcore path: Megatron-core default fp8_amax_compute_algo = 'most_recent'"
        )
        reduce_amax = key.ignored(
            "reduce_amax", "the mcore path never passes reduce_amax (TE default True)", True, "mcore path: TE default reduce_amax = True"
        )
        wgrad = key.read("fp8_wgrad", V.as_bool, True, "fp8_wgrad = True (Megatron-core default)")
        if release.mcore_has_fp8_attention_fields:
            dpa = key.read("fp8_dot_product_attention", V.as_bool, False, "fp8_dot_product_attention = False")
            mha = key.read("fp8_multi_head_attention", V.as_bool, False, "fp8_multi_head_attention = False")
        else:
            absent = "Megatron-core 0.5 (NeMo 1.23) has no such field"
            dpa = key.ignored("fp8_dot_product_attention", absent, False, "not in Megatron-core 0.5")
            mha = key.ignored("fp8_multi_head_attention", absent, False, "not in Megatron-core 0.5")
    else:
        new = release.legacy_fp8_history_1024_max
        history = key.read(
            "fp8_amax_history_len",
            _history,
            1024 if new else 1,
            f"legacy path code default fp8_amax_history_len = {1024 if new else 1} (NeMo {release.name})",
        )
        algo = key.read(
            "fp8_amax_compute_algo",
            _algo,
            "max" if new else "most_recent",
            f"legacy path code default fp8_amax_compute_algo = {'max' if new else 'most_recent'!r} (NeMo {release.name})",
        )
        if release.reads_reduce_amax:
            reduce_amax = key.read("reduce_amax", V.as_bool, True, "reduce_amax = True (code default)")
        else:
            reduce_amax = key.ignored(
                "reduce_amax", f"first read in NeMo 1.15; NeMo {release.name} used TE's default (True)", True, "TE default reduce_amax = True"
            )
        wgrad = key.ignored("fp8_wgrad", "the legacy path runs the wgrad GEMM in FP8 regardless", True, "legacy path: wgrad GEMM in FP8")
        dpa = key.ignored("fp8_dot_product_attention", "only the mcore path reads it", False, "legacy path: no FP8 attention")
        mha = key.ignored("fp8_multi_head_attention", "only the mcore path reads it", False, "legacy path: no FP8 attention")
    margin = key.read("fp8_margin", lambda raw, p: V.as_int(raw, p, 0), 0, "fp8_margin = 0")
    interval = key.read("fp8_interval", _history, 1, "fp8_interval = 1")
    if interval.value != 1:
        r.note(
            "fp8-interval-dropped",
            "info",
            f"fp8_interval: {interval.value} is ignored by Transformer Engine >= 1.8 (removed in TE 2.2) and has no "
            "NeMo 2.0 argument: amax and scales are updated every step; dropped",
            interval.origin,
        )
    params = fp8_params(r, active_value)
    recipe, first_last, start, end = recipe_fields(r, mcore, active_value)
    _reduce_amax_notes(r, active_value, mcore, reduce_amax)
    return Fp8(
        requested=requested,
        active=active,
        format=fmt,
        recipe=recipe,
        margin=margin,
        amax_history_len=history,
        amax_compute_algo=algo,
        reduce_amax=reduce_amax,
        wgrad=wgrad,
        dot_product_attention=dpa,
        multi_head_attention=mha,
        params=params,
        interval=interval,
        first_last_layers_bf16=first_last,
        num_layers_at_start_in_bf16=start,
        num_layers_at_end_in_bf16=end,
    )


def _history(raw, path: str) -> int:
    return V.as_int(raw, path, 1)


def _algo(raw, path: str) -> str:
    return V.as_choice(raw, path, AMAX_ALGOS)


class _KeyReader:
    """FP8 keys are read only while FP8 really runs; otherwise their defaults stand."""

    def __init__(self, r: FactReader, active: bool) -> None:
        self.r = r
        self.active = active

    def read(self, name: str, convert: Convert, default: Any, detail: str) -> Setting[Any]:
        if not self.active:
            return Setting(default, Origin.default(detail))
        return self.r.model(name, convert, default, detail)

    def ignored(self, name: str, why: str, effective: Any, detail: str) -> Setting[Any]:
        raw = self.r.written(self.r.model_key(name))
        if raw is not None and self.active and raw.value != effective:
            self.r.note(
                f"{name.replace('_', '-')}-ignored",
                "warning" if name == "reduce_amax" else "info",
                f"not read here: {why}",
                raw.origin,
            )
        return Setting(effective, Origin.default(detail))


def _reduce_amax_notes(r: FactReader, active: bool, mcore: bool, reduce_amax: Setting[bool]) -> None:
    if active and not reduce_amax.value:
        r.note(
            "reduce-amax-false",
            "warning",
            "reduce_amax: False cannot be expressed in NeMo 2.0, which always all-reduces the amax across the "
            "amax-reduction group: in multi-GPU runs the migrated FP8 scaling factors differ from the legacy per-rank ones",
            reduce_amax.origin,
        )
    tp_only = r.written(r.model_key("tp_only_amax_red"))
    if active and mcore and r.release.mcore_has_recipe_fields and tp_only is not None and V.as_bool(tp_only, r.path):
        r.note(
            "tp-only-amax-red",
            "warning",
            "tp_only_amax_red: True is a model setting in NeMo 2.0, not a plugin argument: set GPTConfig(tp_only_amax_red=True)",
            tp_only.origin,
        )


def fp8_params(r: FactReader, active: bool) -> Setting[bool]:
    """GPT __init__: fp8_model_init only when `fp8 and fp8_params` (v1.23+; section 2.1, 2.2)."""
    names = []
    if r.release.reads_fp8_params:
        names.append("fp8_params")
    if r.release.mcore_has_recipe_fields:
        names.append("fp8_param")
    for name in names:
        raw = r.written(r.model_key(name))
        if raw is None:
            continue
        value = V.as_bool(r.raw(r.model_key(name)), r.path) if active else bool(raw.known and raw.value is True)
        if value and not active:
            r.note("fp8-params-without-fp8", "info", "True has no effect on the weights while FP8 is off", raw.origin)
            return Setting(False, raw.origin)
        if value:
            return Setting(True, raw.origin)
    return Setting(False, Origin.default("fp8_params = False"))


def recipe_fields(r: FactReader, mcore: bool, active: bool) -> tuple[Setting[str], Setting[bool], Setting[int], Setting[int]]:
    """NeMo 1.x FP8 is delayed scaling; the 2.x tree's mcore path reads Megatron-core's recipe fields by name."""
    readable = mcore and r.release.mcore_has_recipe_fields and active
    if not readable:
        for name in _RECIPE_FIELDS:
            raw = r.written(r.model_key(name))
            if raw is not None and active:
                # A key this release never reads suggests the config ran on a newer container.
                r.note(
                    f"{name.replace('_', '-')}-ignored",
                    "info" if r.release.mcore_has_recipe_fields else "warning",
                    "read only by the mcore path of the NeMo 1.0 code inside NeMo 2.x; ignored under "
                    f"NeMo {r.release.name} semantics (pass --nemo1-version 2.x if the job ran there)",
                    raw.origin,
                )
        return (
            Setting("delayed", Origin.default("NeMo 1.x FP8 is delayed scaling (DelayedScaling recipe)")),
            Setting(False, Origin.default("first_last_layers_bf16 = False")),
            Setting(1, Origin.default("Megatron-core default 1")),
            Setting(1, Origin.default("Megatron-core default 1")),
        )
    recipe = r.model("fp8_recipe", lambda raw, p: V.as_choice(raw, p, FP8_RECIPES), "delayed", "Megatron-core default fp8_recipe = 'delayed'")
    first_last = r.model("first_last_layers_bf16", V.as_bool, False, "first_last_layers_bf16 = False (Megatron-core)")
    if first_last.value and recipe.value == "delayed":
        raise r.fail(first_last.origin, "first_last_layers_bf16 with fp8_recipe 'delayed': Megatron-core rejects this combination")
    count: Callable[[Any, str], int] = lambda raw, p: V.as_int(raw, p, 0)  # noqa: E731
    start = r.model("num_layers_at_start_in_bf16", count, 1, "Megatron-core default num_layers_at_start_in_bf16 = 1")
    end = r.model("num_layers_at_end_in_bf16", count, 1, "Megatron-core default num_layers_at_end_in_bf16 = 1")
    return recipe, first_last, start, end
