"""Families with their own rules: NeMo-Aligner sections, PEFT schemes, benchmark harness runners."""

from __future__ import annotations

from pathlib import Path

import pytest
from facts import reader

from migrate.legacy import families


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param({"trainer.precision": "bf16", "trainer.dpo.gradient_clip_val": 1.0}, "dpo", id="trainer.dpo section"),
        pytest.param({"trainer.precision": "bf16", "trainer.draftp_sd.gradient_clip_val": 10}, "draftp_sd", id="DRaFT+ section"),
        pytest.param({"trainer.precision": "bf16", "trainer.dpo": 1}, None, id="a scalar is not a section"),
        pytest.param({"trainer.precision": "bf16", "trainer.devices": 8}, None, id="NeMo's own configs have none"),
    ],
)
def test_aligner_sections(keys, expected) -> None:
    r = reader(keys)
    found = families.aligner(r.config, r.layout)
    assert (found.algorithm if found else None) == expected


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        pytest.param("lora", True, id="lora adapters on a frozen base"),
        pytest.param("none", False, id="peft_scheme none: full SFT through the same script"),
        pytest.param(None, False, id="null scheme"),
        pytest.param("None", False, id="'None' (a YAML string, as the launcher's 24.12 SFT configs write it): no adapters"),
        pytest.param("", False, id="empty scheme: no adapters named"),
        pytest.param("ia3", True, id="ia3 adapters on a frozen base"),
    ],
)
def test_peft_scheme(scheme, expected) -> None:
    assert families.peft(reader({"trainer.precision": "bf16", "model.peft.peft_scheme": scheme})).value is expected


def test_stdin_has_no_harness_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config read from stdin has no folder: the runner files of the working directory say nothing about it."""
    (tmp_path / "main.py").write_text("")
    (tmp_path / "run_and_time.sh").write_text("")
    monkeypatch.chdir(tmp_path)
    assert families.harness_runner("x.yaml") == "main.py and run_and_time.sh beside it"
    assert families.harness_runner("-") is None
    assert families.harness_runner("<stdin>") is None


def test_harness_runner(tmp_path: Path) -> None:
    assert families.harness_runner("results/mlperf/conf/x.yaml") == "an MLPerf submission path"
    assert families.harness_runner("-") is None and families.harness_runner("conf/gpt.yaml") is None
    (tmp_path / "conf").mkdir()
    (tmp_path / "main.py").write_text("")
    (tmp_path / "run_and_time.sh").write_text("")
    assert families.harness_runner(str(tmp_path / "conf" / "x.yaml")) == "main.py and run_and_time.sh beside it"
    (tmp_path / "run_and_time.sh").unlink()
    assert families.harness_runner(str(tmp_path / "conf" / "x.yaml")) is None
