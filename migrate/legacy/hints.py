"""Which NeMo release a config probably ran on, from what the file itself gives away.

A hint is only offered, never applied: the rules used are always the ones `--nemo1-version` (or its
default) names, and the output says so. Evidence, strongest first:
* a NeMo tag in the path (`NeMo/v1.10.0/...`, `nemo-v1.20.0`);
* a NeMo-Framework-Launcher tag in the path: launcher 24.07 and later run a `nemo:24.05`+ container by
  default (research notes C.1), which carries the NeMo 1.0 code of the 2.x tree;
* an NGC container tag in the path (`ngc24.09`), or a NeMo-Aligner tag (Aligner 0.3+ builds on NeMo 2.x);
* keys only the 2.x tree reads (`mcore_distributed_optim`, `fp8_recipe`, `mcore_t5`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.legacy.versions import CONTAINER_TAGS, LAST_1X

_NEMO_TAG = re.compile(r"nemo[-_/]?v(1)\.(\d+)\.\d+", re.IGNORECASE)
_LAUNCHER_TAG = re.compile(r"launcher[-_/ ]?v?(\d\d)\.(\d\d)", re.IGNORECASE)
_NGC_TAG = re.compile(r"ngc(\d\d\.\d\d)", re.IGNORECASE)
_ALIGNER_TAG = re.compile(r"aligner[-_/]?v?0\.(\d+)\.\d+", re.IGNORECASE)


@dataclass(frozen=True)
class ReleaseHint:
    release: str  # a --nemo1-version value
    evidence: str


def from_path(path: str) -> ReleaseHint | None:
    text = path.replace("\\", "/")
    match = _NEMO_TAG.search(text)
    if match and 5 <= int(match.group(2)) <= LAST_1X:
        return ReleaseHint(f"1.{int(match.group(2))}", f"the path names NeMo v1.{int(match.group(2))}")
    match = _LAUNCHER_TAG.search(text)
    if match and (int(match.group(1)), int(match.group(2))) >= (24, 7):
        return ReleaseHint("2.x", f"the path names NeMo-Framework-Launcher {match.group(1)}.{match.group(2)}, whose default "
                           "container (nemo:24.05 or later) runs the NeMo 1.0 code of NeMo 2.x")
    match = _NGC_TAG.search(text)
    if match and CONTAINER_TAGS.get(match.group(1)):
        return ReleaseHint(CONTAINER_TAGS[match.group(1)], f"the path names container {match.group(1)}")
    match = _ALIGNER_TAG.search(text)
    if match and int(match.group(1)) >= 3:
        return ReleaseHint("2.x", f"the path names NeMo-Aligner 0.{match.group(1)}, built on NeMo 2.x")
    return None


def from_keys(config, layout) -> ReleaseHint | None:
    """Keys only the NeMo 1.0 code inside NeMo 2.x reads (optim.name mcore_distributed_optim has a finding
    of its own in the optimizer facts)."""
    for name in ("fp8_recipe", "mcore_t5", "first_last_layers_bf16", "fp8_param"):
        if config.has(layout.key(name)):
            return ReleaseHint("2.x", f"{layout.key(name)} is read only by NeMo 2.x's NeMo 1.0 code")
    return None
