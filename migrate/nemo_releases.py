"""Which NeMo 2.x release `--target-nemo` names, given as a release or as a NeMo Framework container tag.

Users know their container (`nvcr.io/nvidia/nemo:25.11`) better than the NeMo release inside it, so
`--target-nemo` takes either. A container tag is mapped only where a published component list names
the NeMo release it holds; guessing from release dates is how a wrong plugin signature would be
chosen, so every other tag is refused with a request for the release number.

Sources of the container table:
- NeMo Framework user guide 24.09, "Software Component Versions"
  (docs.nvidia.com/nemo-framework/user-guide/24.09/softwarecomponentversions.html):
  24.05 -> NeMo 2.0.0rc0, 24.07 -> 2.0.0rc1, 24.09 -> 2.0.0.
- Megatron Bridge documentation, "Software Component Versions"
  (github.com/NVIDIA-NeMo/Megatron-Bridge, docs/releases/software-versions.md; 25.09 and 25.11
  since 2025-11-25, 26.02 since PR #2494, 2026-02-24): 25.09 -> NeMo 2.5.0, 25.11 -> 2.6.0,
  26.02 -> 2.7.0. Its 26.04 and 26.06 lists name Megatron Bridge 0.4.0 / 0.5.0 and no NeMo release.
Not confirmed by any source read: 24.12, 25.02, 25.04 and 25.07 (and every patch or custom tag).

NeMo 2.0.0rc0 and 2.0.0rc1 (tags v2.0.0rc0, r2.0.0rc1 of NVIDIA/NeMo) define
`MegatronMixedPrecision(precision, amp_O2, device)`, not the NeMo 2.0 signature this tool writes.
NeMo 3.0 (nemo_toolkit 3.0.0 wheel) has neither `MegatronMixedPrecision` nor `nemo.collections.llm`:
LLM training moved to Megatron Bridge, which `--target bridge` writes for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.target_api.nemo2 import DEFAULT_TARGET_NEMO, TARGET_NEMO_CHOICES

RELEASES = TARGET_NEMO_CHOICES
DEFAULT = DEFAULT_TARGET_NEMO

_DOCS_24_09 = "NeMo Framework user guide 24.09, Software Component Versions"
_BRIDGE_DOCS = "Megatron Bridge docs/releases/software-versions.md"


@dataclass(frozen=True)
class Container:
    """One NeMo Framework container tag and what its published component list says."""

    tag: str
    nemo: str | None  # the NeMo version the list names; None when it names none
    source: str
    holds: str = ""  # what the list names instead of NeMo


CONTAINERS: dict[str, Container] = {
    "24.05": Container("24.05", "2.0.0rc0", _DOCS_24_09),
    "24.07": Container("24.07", "2.0.0rc1", _DOCS_24_09),
    "24.09": Container("24.09", "2.0.0", _DOCS_24_09),
    "25.09": Container("25.09", "2.5.0", _BRIDGE_DOCS),
    "25.11": Container("25.11", "2.6.0", _BRIDGE_DOCS),
    "26.02": Container("26.02", "2.7.0", _BRIDGE_DOCS),
    "26.04": Container("26.04", None, _BRIDGE_DOCS, "Megatron Bridge 0.4.0"),
    "26.06": Container("26.06", None, _BRIDGE_DOCS, "Megatron Bridge 0.5.0"),
}

NEMO3_MESSAGE = (
    "NeMo 3 has no MegatronMixedPrecision and no nemo.collections.llm (LLM training moved to "
    "Megatron Bridge); use --target bridge"
)


class TargetNemoError(ValueError):
    """A --target-nemo value the tool cannot use; the message is one line."""


class NeMo3Error(TargetNemoError):
    """NeMo 3 named: nothing to write for it on the nemo2 target, but consistent with --target bridge."""


@dataclass(frozen=True)
class TargetNemo:
    release: str  # a key of the signature tables, e.g. "2.6"
    container: str | None = None  # the container tag it was given as, if any

    @property
    def label(self) -> str:
        return nemo_label(self.release, self.container)


def nemo_label(release: str, container: str | None = None) -> str:
    """How output headers name the target: "NeMo 2.6" or "NeMo 2.6 (container 25.11)"."""
    return f"NeMo {release}" + (f" (container {container})" if container else "")


_RELEASE = re.compile(r"(\d)(?:\.(\d+))?(?:\.\d+)?")
_TAG = re.compile(r"(\d{2})\.(\d{2})(?:\.[0-9A-Za-z_.-]+)?")
_IMAGE_PREFIX = re.compile(r"^(?:[\w.-]+/)*nemo:")


def _release_of(container: Container) -> str | None:
    """The signature table a container's NeMo selects; None for none or for a pre-release."""
    if container.nemo is None or not re.fullmatch(r"\d+\.\d+\.\d+", container.nemo):
        return None
    release = ".".join(container.nemo.split(".")[:2])
    return release if release in RELEASES else None


MAPPED_TAGS = tuple(tag for tag, container in CONTAINERS.items() if _release_of(container))


def _from_container(tag: str) -> TargetNemo:
    container = CONTAINERS.get(tag)
    if container is None:
        raise TargetNemoError(
            f"container {tag} is not one whose NeMo release a published component list confirms "
            f"({', '.join(MAPPED_TAGS)} are); give the NeMo release instead, as "
            "`python -c 'import nemo; print(nemo.__version__)'` prints it in the container"
        )
    if container.nemo is None:
        raise TargetNemoError(
            f"the NeMo Framework {tag} component list ({container.source}) names {container.holds} and no NeMo "
            "release; for Megatron Bridge use --target bridge, or give the NeMo 2.x release the container holds"
        )
    release = _release_of(container)
    if release is None:
        raise TargetNemoError(
            f"container {tag} holds NeMo {container.nemo} ({container.source}), whose MegatronMixedPrecision"
            "(precision, amp_O2, device) predates the NeMo 2.0 API this tool writes; use a 24.09 or newer container"
        )
    return TargetNemo(release, tag)


def resolve_target_nemo(value: str) -> TargetNemo:
    """The signature table a --target-nemo value selects; TargetNemoError (one line) when there is none.

    Accepted: a release ("2.6", or "2.6.2" as `nemo.__version__` prints it) or a mapped container tag
    ("25.11", also written "nemo:25.11" or "nvcr.io/nvidia/nemo:25.11").
    """
    text = _IMAGE_PREFIX.sub("", value.strip())
    release = _RELEASE.fullmatch(text)
    if release is not None:
        major, minor = int(release.group(1)), release.group(2)
        if major == 3:
            raise NeMo3Error(NEMO3_MESSAGE)
        if major == 1:
            raise TargetNemoError(
                "NeMo 1.x is the release the config ran with (--nemo1-version); "
                "--target-nemo names the NeMo 2.x release to write for"
            )
        if major == 2 and minor is not None and f"2.{int(minor)}" in RELEASES:
            return TargetNemo(f"2.{int(minor)}")
    elif _TAG.fullmatch(text) is not None and int(text[:2]) >= 23:
        return _from_container(text)
    raise TargetNemoError(
        f"not a NeMo release this tool knows ({', '.join(RELEASES)}) "
        f"or a NeMo Framework container tag it can map ({', '.join(MAPPED_TAGS)})"
    )
