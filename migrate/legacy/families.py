"""Model families and runners whose precision is decided differently from NeMo's GPT example scripts.

* NeMo-Aligner: the trainer is NeMo's GPT MegatronTrainerBuilder with the algorithm section
  (`trainer.dpo`, `trainer.ppo`, ...) removed; that section is what the algorithm's trainer reads,
  its `gradient_clip_val` included (research notes B.1-B.5).
* Stable Diffusion: `model.unet_config.unet_precision` (NeMo 2.x tree) decides the UNet's weights;
  `fp16` converts norm layers too (pure fp16), which no migration target can express (E.1).
* Benchmark harnesses (MLPerf submissions) read the YAML with their own runner (`main.py`,
  `train.py`, `pretrain.py`), not NeMo's example scripts (F.2).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from migrate.legacy.layout import Layout
from migrate.spec import Origin, Setting

ALIGNER_ALGORITHMS = ("sft", "rm", "dpo", "ppo", "spin", "kto", "rs", "reinforce", "knowledge_distillation", "draftp_sd")


@dataclass(frozen=True)
class Aligner:
    algorithm: str
    section: str  # e.g. "trainer.dpo"

    @property
    def clip_key(self) -> str:
        return f"{self.section}.gradient_clip_val"


def aligner(config, layout: Layout) -> Aligner | None:
    """A dict under `trainer:` named after an Aligner algorithm (NeMo's own configs never have one)."""
    trainer = config.section(layout.trainer) if layout.has_trainer else None
    if not trainer:
        return None
    for name in ALIGNER_ALGORITHMS:
        if isinstance(trainer.get(name), dict):
            return Aligner(name, f"{layout.trainer}.{name}")
    return None


def unet_precision_key(layout: Layout) -> str:
    return layout.key("unet_config.unet_precision")


_HARNESS_PATH = re.compile(r"training_results_v\d|mlperf|[/_]benchmarks[/_].+[/_]implementations[/_]", re.IGNORECASE)
_RUNNERS = ("main.py", "train.py", "pretrain.py")


def harness_runner(path: str) -> str | None:
    """Evidence that a config belongs to a benchmark harness with its own runner, or None."""
    if path in ("-", "<stdin>"):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    for parent in (folder, os.path.dirname(folder)):
        runners = [name for name in _RUNNERS if os.path.isfile(os.path.join(parent, name))]
        if runners and os.path.isfile(os.path.join(parent, "run_and_time.sh")):
            return f"{runners[0]} and run_and_time.sh beside it"
    if _HARNESS_PATH.search(path.replace(os.sep, "/")):
        return "an MLPerf submission path"
    return None


def peft(r) -> Setting[bool]:
    """`model.peft.peft_scheme` other than none/null: adapters trained on a frozen base model."""
    raw = r.written(r.model_key("peft.peft_scheme"))
    if raw is None or not raw.known or raw.value in (None, "none", "None", ""):
        return Setting(False, Origin.default("no PEFT scheme"))
    return Setting(True, raw.origin)
