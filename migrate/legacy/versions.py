"""Which NeMo 1.x release a config ran on, and the precision facts that differ between releases.

Every boundary below was read in NVIDIA/NeMo's sources at each tag (research notes: "NeMo 1.0-1.23
release by release", rule table A.9; nemo1-nemo2-semantics.md sections 1.2, 1.7, 2.1). "2.x" is the
NeMo 1.0 code that kept shipping inside NeMo 2.x containers (megatron_gpt_pretraining.py in a
24.05+ container): it reads keys 1.23 does not (fp8_recipe, mcore_distributed_optim, ...).
Releases before 1.5 have no Megatron GPT model at all, so no config of theirs has anything to migrate.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_MEGATRON = 5  # v1.5.0: first megatron_gpt_pretraining.py / MegatronGPTModel
LAST_1X = 23
DEFAULT_NEMO1_VERSION = "1.23"
# NGC container tag -> the NeMo release inside it (NeMo READMEs: "NeMo r1.22.0 comes with container
# nemo:23.10"; NeMo Framework 24.09 docs, software component versions). Tags without a source are refused.
CONTAINER_TAGS = {
    "23.01": "1.16",  # NVIDIA/NeMo@v1.17.0:README.rst
    "23.04": "1.19",  # NVIDIA/NeMo@v1.20.0:README.rst
    "23.06": "1.20",  # NVIDIA/NeMo@v1.21.0:README.rst
    "23.08": "1.21",  # NVIDIA/NeMo@v1.22.0:README.rst
    "23.10": "1.22",  # NVIDIA/NeMo@v1.23.0:README.rst:390
    "24.05": "2.x",  # NeMo 2.0.0rc0 (NeMo Framework 24.09 docs, software component versions)
    "24.07": "2.x",  # NeMo 2.0.0rc1 (same page)
    "24.09": "2.x",  # NeMo 2.0.0 (same page)
}
# NeMo 2.x releases whose containers still ship the NeMo 1.0 code: all read by the one "2.x" rule set.
NEMO2_TREE_RELEASES = ("2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7")
DISTRIBUTED_ADAM = "distributed_fused_adam"
MCORE_DISTRIBUTED_OPTIM = "mcore_distributed_optim"


@dataclass(frozen=True)
class Release:
    """One NeMo 1.x release's rules. `minor` is 5..23 for 1.x and None for the 2.x tree, which is newer
    than every 1.x boundary."""

    name: str
    minor: int | None

    @property
    def v2x(self) -> bool:
        return self.minor is None

    def since(self, minor: int) -> bool:
        """This release has what NeMo 1.`minor` introduced (the 2.x tree has everything)."""
        return self.minor is None or self.minor >= minor

    def between(self, first: int, last: int) -> bool:
        return self.minor is not None and first <= self.minor <= last

    # -- dtypes and mixed precision -------------------------------------------------------------
    @property
    def reads_megatron_amp_o2(self) -> bool:
        """v1.6.0 introduced O2 (`self.megatron_amp_o2 = cfg.get('megatron_amp_O2', False)`, mgm:130)."""
        return self.since(6)

    @property
    def refuses_fp16_o2(self) -> bool:
        """v1.8.0+: fp16 + O2 without distributed Adam raises (mgm:777-778); v1.6-v1.7 allowed it."""
        return self.since(8)

    @property
    def autocast_under_o2(self) -> bool:
        """v1.7-v1.17: Apex's pipeline schedules autocast for any half dtype, O2 included; v1.18 turned it off."""
        return self.between(7, 17)

    @property
    def model_precision_wins(self) -> bool:
        """v1.21.0+: `model.precision` decides the model dtype; v1.5-v1.20 scripts overwrote it with
        `trainer.precision` (megatron_gpt_pretraining.py: `cfg.model.precision = cfg.trainer.precision`)."""
        return self.since(21)

    @property
    def lightning2_spellings(self) -> bool:
        """v1.21.0 moved to PyTorch Lightning 2.0: '16-mixed', 'bf16-mixed', '32-true' are errors before."""
        return self.since(21)

    def gets_nemo_scaler(self, written: object) -> bool:
        """Does this trainer.precision spelling get NeMo's plugin and GradScaler? v1.5: `== 16`;
        v1.6-v1.20: `in [16, 'bf16']` (exact); v1.21+: the builder's full list."""
        if self.since(21):
            return True
        if self.minor == 5:
            return written == 16
        return written in (16, "bf16")

    @property
    def scale_func_follows_model_dtype(self) -> bool:
        """v1.21-v1.22 give Megatron the GradScaler when the model dtype is fp16 (`self.torch_dtype ==
        torch.float16`); v1.23 tests trainer.precision instead (megatron_base_model.py, build_model_parallel_config)."""
        return self.between(21, 22)

    @property
    def hysteresis_read(self) -> bool:
        """v1.5.0's GradScaler has no hysteresis (backs off on every overflow); v1.6.0 reads `hysteresis` (2)."""
        return self.since(6)

    # -- FP8 ------------------------------------------------------------------------------------
    @property
    def has_fp8(self) -> bool:
        """FP8 keys first read in v1.13.0 (mgm:185-192)."""
        return self.since(13)

    @property
    def reads_reduce_amax(self) -> bool:
        """`reduce_amax` first read in v1.15.0 (mgm:194); before it TE's default True applied."""
        return self.since(15)

    @property
    def legacy_fp8_history_1024_max(self) -> bool:
        """v1.22.0 (commit b97ee352) changed the legacy-path defaults from 1/'most_recent' to 1024/'max'."""
        return self.since(22)

    @property
    def reads_fp8_params(self) -> bool:
        """`fp8_params` first read in v1.23.0 (mgm:282)."""
        return self.since(23)

    # -- code paths -----------------------------------------------------------------------------
    @property
    def mcore_flags(self) -> tuple[str, ...]:
        """Keys that select the Megatron-core path: mcore_gpt (v1.21+), mcore_bert (v1.23+), mcore_t5 (2.x only)."""
        flags = []
        if self.since(21):
            flags.append("mcore_gpt")
        if self.since(23):
            flags.append("mcore_bert")
        if self.v2x:
            flags.append("mcore_t5")
        return tuple(flags)

    @property
    def mcore_honours_transformer_engine(self) -> bool:
        """2.x tree: mcore_gpt with transformer_engine: False builds the local (non-TE) layer spec."""
        return self.v2x

    @property
    def mcore_has_fp8_attention_fields(self) -> bool:
        """Megatron-core 0.5 (pinned by v1.23) lacks fp8_dot_product_attention / fp8_multi_head_attention."""
        return self.v2x

    @property
    def mcore_has_recipe_fields(self) -> bool:
        """Megatron-core >= 0.12 fields read by name on the 2.x tree: fp8_recipe, fp8_param, first_last_layers_bf16, ..."""
        return self.v2x

    # -- optimizer, FSDP, builders --------------------------------------------------------------
    @property
    def distributed_optimizers(self) -> tuple[str, ...]:
        """distributed_fused_adam from v1.13.0; mcore_distributed_optim only in the 2.x tree."""
        if self.v2x:
            return (DISTRIBUTED_ADAM, MCORE_DISTRIBUTED_OPTIM)
        return (DISTRIBUTED_ADAM,) if self.since(13) else ()

    @property
    def distributed_adam_state_forced_fp32(self) -> bool:
        """v1.17-v1.22 overwrite `optim.dtype` with fp32 (mbm:339-340); v1.13-v1.16 and v1.23 honour it."""
        return self.between(17, 22)

    @property
    def fp32_embedding_grads(self) -> bool:
        """v1.17+: distributed Adam reduces embedding (v1.21+: and output-layer) gradients in fp32 whatever
        grad_sync_dtype says (v1.23: only while the optimizer dtype is fp32)."""
        return self.since(17)

    @property
    def has_fsdp(self) -> bool:
        """`fsdp` first read in v1.23.0 (megatron_trainer_builder.py:54)."""
        return self.since(23)

    @property
    def fsdp_precision_plugin(self) -> bool:
        """The 2.x tree's builder gives FSDP its own FSDPMixedPrecisionPlugin (NeMo PR #8947, after v1.23.0);
        v1.23.0's MegatronTrainerBuilder._plugins() builds PipelineMixedPrecisionPlugin under FSDP too."""
        return self.v2x

    @property
    def fsdp_fp16_has_scaler(self) -> bool:
        """The 2.x tree builds no GradScaler for fp16 + FSDP."""
        return not self.v2x

    @property
    def peft_disables_scaler_with_pp(self) -> bool:
        """PEFT scripts turn the fp16 GradScaler off for pipeline parallelism > 1 from v1.19 (inline),
        through MegatronLMPPTrainerBuilder from v1.22."""
        return self.since(19)

    @property
    def sft_script_disables_scaler_with_pp(self) -> bool:
        """v1.23's SFT script (megatron_gpt_finetuning.py) uses MegatronLMPPTrainerBuilder; v1.18-v1.22's
        megatron_gpt_sft.py built its own scaler, never disabled."""
        return self.since(23)


def _release(key: str) -> Release:
    if key == "2.x":
        return Release("2.x", None)
    return Release(key, int(key.split(".")[1]))


def resolve_version(version: str) -> tuple[str, str]:
    """(release key, how it was named): '1.17' -> ('1.17', ''), '23.10' -> ('1.22', 'container 23.10'),
    '2.4' -> ('2.x', 'NeMo 2.4'). ValueError with the accepted values otherwise."""
    text = str(version).strip()
    if text in CONTAINER_TAGS:
        return CONTAINER_TAGS[text], f"container {text}"
    if text == "2.x":
        return "2.x", ""
    if text in NEMO2_TREE_RELEASES:
        return "2.x", f"NeMo {text}"
    parts = text.split(".")
    if len(parts) == 2 and parts[0] == "1" and parts[1].isdigit():
        minor = int(parts[1])
        if minor < FIRST_MEGATRON:
            raise ValueError(
                f"NeMo {text} has no Megatron GPT training (it first shipped in 1.5.0): no precision config of that "
                "release has anything to migrate"
            )
        if minor <= LAST_1X:
            return text, ""
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) >= 22:
        raise ValueError(
            f"container {text}: its NeMo release is not confirmed from a source; pass the NeMo release "
            f"(1.{FIRST_MEGATRON}..1.{LAST_1X} or 2.x) instead"
        )
    raise ValueError(f"unknown NeMo 1.x version {text!r}; choose 1.{FIRST_MEGATRON}..1.{LAST_1X}, 2.x, or a container tag such as 23.10")


def nemo1_profile(version: str) -> Release:
    """The rules of a --nemo1-version value; 2.0 .. 2.7 all mean the NeMo 1.0 code inside 2.x."""
    key, _ = resolve_version(version)
    return _release(key)
