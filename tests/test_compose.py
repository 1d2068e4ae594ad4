"""Hydra defaults lists: composed with hydra-core in Hydra's order, every key traced to its file and
line, never reading the process environment or a config's own search path; fragments recognised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli

from migrate.convert import ConvertOptions, convert_path, load_config, spec_for
from migrate.errors import InputError, Location
from migrate.legacy import compose as compose_module
from migrate.legacy.compose import compose_document
from migrate.legacy.fragments import fragment_reason
from migrate.legacy.overrides import parse_override
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.yamlsource import parse_yaml, read_yaml_file
from migrate.lint.runner import LintSettings, lint_file
from migrate.report import finding_line
from migrate.spec import Finding

CONF = "fixtures/compose/sd/conf"


def _config(path: str, *sets: str, env: dict[str, str] | None = None) -> LegacyConfig:
    options = ConvertOptions(overrides=tuple(parse_override(s) for s in sets), env=env or {})
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        return load_config(path, options)
    finally:
        os.chdir(previous)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# -- provenance ------------------------------------------------------------------------------


def test_each_key_points_at_the_file_and_line_it_came_from() -> None:
    config = _config(f"{CONF}/sd_train.yaml")
    sync = config.get("model.optim.grad_sync_dtype")
    assert sync.value == "torch.float16"
    assert (sync.origin.path, sync.origin.line, sync.origin.col) == (f"{CONF}/optim/distributed_fused_adam.yaml", 4, 1)
    precision = config.origin_of("model.precision")
    assert (precision.path, precision.line) == (f"{CONF}/custom.yaml", 10)
    assert precision.describe() == f"model.precision ({CONF}/custom.yaml:10)"
    # keys of the group file win over custom.yaml's inline optimizer (merged later); the rest stays
    assert config.get("model.optim.name").value == "distributed_fused_adam"
    assert config.origin_of("model.optim.lr").path == f"{CONF}/custom.yaml"
    assert config.location("model.optim.dtype") == Location(f"{CONF}/optim/distributed_fused_adam.yaml", 3, 1)


def test_keys_of_the_converted_config_keep_the_single_file_form() -> None:
    config = _config(f"{CONF}/sd_self_last.yaml")
    origin = config.origin_of("model.optim.grad_sync_dtype")
    assert origin.path is None and origin.line == 8
    assert origin.describe() == "model.optim.grad_sync_dtype (line 8)"


def test_findings_and_errors_are_located_in_the_composed_file() -> None:
    config = _config(f"{CONF}/sd_train.yaml")
    origin = config.origin_of("trainer.gradient_clip_val")
    line = finding_line(config.path, Finding("x", "warning", "m", origin))
    assert line == f"{CONF}/custom.yaml:8:3: NMP123 [warning] m"
    refused = _config(f"{CONF}/sd_train.yaml", "optim@model.optim=megatron_fused_adam")
    with pytest.raises(InputError) as caught:
        spec_for(refused, ConvertOptions())
    assert caught.value.location == Location(f"{CONF}/custom.yaml", 11, 3)


def test_a_section_only_the_package_creates_points_at_the_defaults_list(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - opt@model.optim: a\ntrainer:\n  precision: bf16\n",
        "opt/a.yaml": "name: distributed_fused_adam\ngrad_sync_dtype: bf16\n",
    })
    config = LegacyConfig(compose_document(read_yaml_file(str(tmp_path / "main.yaml"))))
    assert config.origin_of("model").line == 1 and config.origin_of("model").path is None
    assert config.origin_of("model.optim.grad_sync_dtype").path == str(tmp_path / "opt" / "a.yaml")


# -- Hydra's order, packages, optional and null entries --------------------------------------------


def test_self_position_decides_who_wins() -> None:
    first = spec_for(_config(f"{CONF}/sd_self_first.yaml"), ConvertOptions())
    last = spec_for(_config(f"{CONF}/sd_self_last.yaml"), ConvertOptions())
    assert first.grad_reduce_dtype.value == "fp16"  # the group file is merged over the body
    assert first.grad_reduce_dtype.origin.path == f"{CONF}/optim/distributed_fused_adam.yaml"
    assert last.grad_reduce_dtype.value == "fp32"  # the body is merged last
    assert last.grad_reduce_dtype.origin.path is None


def test_without_self_the_body_is_merged_last(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - g@sub: a\nsub:\n  x: from_primary\n",
        "g/a.yaml": "x: from_group\n",
    })
    document = compose_document(read_yaml_file(str(tmp_path / "main.yaml")))
    assert document.data == {"sub": {"x": "from_primary"}}
    assert [f.name for f in document.composition.files] == ["g/a", "main"]


def test_relative_group_paths_and_dot_packages() -> None:
    config = _config("fixtures/compose/relative/nlp/conf/t5_like.yaml")
    assert config.get("model.encoder.hidden_size").value == 512  # the body wins
    assert config.origin_of("model.encoder.hidden_size").path is None
    assert config.get("model.encoder.fp32_residual_connection").value is False
    assert config.origin_of("model.encoder.fp32_residual_connection").path == "fixtures/compose/relative/nlp/conf/layer_base.yaml"
    decoder = config.origin_of("model.decoder.fp32_residual_connection")
    assert config.get("model.decoder.fp32_residual_connection").value is True
    assert (decoder.path, decoder.line) == ("fixtures/compose/relative/shared/conf/layer_base.yaml", 2)


def test_optional_missing_group_is_left_out_with_a_note() -> None:
    config = _config(f"{CONF}/sd_optional_missing.yaml")
    assert not config.has("model.ub_tp_comm_overlap_cfg")
    notes = config.composition.notes
    assert [n.severity for n in notes] == ["info"] and "tp_overlap/h100tp8.yaml is not there" in notes[0].message


def test_null_options_and_self_only_compose_nothing_and_keep_the_document() -> None:
    document = read_yaml_file(str(ROOT / "fixtures" / "convert" / "hydra_defaults_and_missing.yaml"))
    assert compose_document(document) is document


def test_a_missing_required_group_file_is_converted_alone_with_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, {"main.yaml": "defaults:\n  - .@model: base_config\ntrainer:\n  precision: bf16\n"})
    result = convert_path(str(tmp_path / "main.yaml"), ConvertOptions())
    assert result.status == "converted"
    warning = next(f for f in result.findings if f.code == "hydra-defaults")
    assert warning.severity == "warning" and "Hydra says" in warning.message and "converted on its own" in warning.message


# -- what is never read ------------------------------------------------------------------------------


def test_option_names_read_env_values_from_env_option_only(monkeypatch) -> None:
    monkeypatch.setenv("TP", "4")  # the converting machine's environment is never read
    config = _config(f"{CONF}/sd_env_option.yaml")
    assert config.composition.included == ()
    assert "not composable without --env TP=VALUE" in config.composition.notes[0].message
    composed = _config(f"{CONF}/sd_env_option.yaml", env={"TP": "4", "GPU_ARCH": "h"})
    assert composed.get("model.ub_tp_comm_overlap_cfg.proj_fprop.fp8_buf").origin.path == f"{CONF}/tp_overlap/h100tp4.yaml"
    assert all(n.severity == "info" for n in composed.composition.notes)


def test_a_written_env_default_in_an_option_name_is_reported() -> None:
    config = _config(f"{CONF}/sd_env_option.yaml", env={"TP": "4"})
    assert config.has("model.ub_tp_comm_overlap_cfg")
    assert any("GPU_ARCH" in n.message and n.severity == "warning" for n in config.composition.notes)


def test_a_configs_own_search_path_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _write(tmp_path, {
        "elsewhere/opt/a.yaml": "grad_sync_dtype: bf16\n",
        "conf/main.yaml": f"defaults:\n  - opt@model.optim: a\nhydra:\n  searchpath:\n    - file://{elsewhere}\n"
                          "trainer:\n  precision: bf16\n",
    })
    document = compose_document(read_yaml_file(str(tmp_path / "conf" / "main.yaml")))
    assert "model" not in document.data and "hydra" in document.data  # not composed: converted alone
    assert "Hydra says" in document.composition.notes[0].message
    assert "hydra.searchpath is not searched" in document.composition.notes[0].message


def test_stdin_input_is_not_composed() -> None:
    document = parse_yaml("defaults:\n  - custom\ntrainer:\n  precision: bf16\n", "<stdin>")
    composed = compose_document(document, on_disk=False)
    assert composed.data == document.data and "read from stdin" in composed.composition.notes[0].message


def test_a_bad_group_file_is_a_located_error(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - opt@model.optim: a\ntrainer:\n  precision: bf16\n",
        "opt/a.yaml": "name: x\nname: y\n",
    })
    with pytest.raises(InputError) as caught:
        compose_document(read_yaml_file(str(tmp_path / "main.yaml")))
    assert caught.value.location.path == str(tmp_path / "opt" / "a.yaml")
    assert caught.value.location.line == 2 and "duplicate key" in caught.value.message


def test_a_replay_that_differs_from_hydra_is_refused(monkeypatch) -> None:
    """The merge replayed with spans is checked against hydra.compose: break it and it must refuse."""
    original = compose_module._Merged.add

    def skip_group_files(self, document, package, path, anchor):
        if path is None:
            original(self, document, package, path, anchor)

    monkeypatch.setattr(compose_module._Merged, "add", skip_group_files)
    with pytest.raises(InputError, match="differs from hydra.compose"):
        _config(f"{CONF}/sd_train.yaml")


# -- fragments -------------------------------------------------------------------------------------


def test_group_files_converted_alone_are_skipped_with_what_they_hold() -> None:
    optim = convert_path(f"{ROOT}/{CONF}/optim/distributed_fused_adam.yaml", ConvertOptions())
    assert optim.status == "skipped"
    assert "grad_sync_dtype: torch.float16" in optim.message and "changes the run that includes it" in optim.message
    ub = convert_path(f"{ROOT}/{CONF}/tp_overlap/h100tp4.yaml", ConvertOptions())
    assert ub.status == "skipped" and "fp8_buf on for qkv_fprop, proj_fprop" in ub.message


def test_fragments_are_recognised_by_content_without_an_including_config(tmp_path: Path) -> None:
    _write(tmp_path, {"adam.yaml": "name: distributed_fused_adam\ngrad_sync_dtype: bf16\nlr: 1e-4\n"})
    config = LegacyConfig(read_yaml_file(str(tmp_path / "adam.yaml")))
    assert "optimizer settings (name: distributed_fused_adam, grad_sync_dtype: bf16)" in fragment_reason(config)


def test_fragments_are_recognised_by_being_named_by_a_defaults_list(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - data@model.data: small\ntrainer:\n  precision: bf16\n",
        "data/small.yaml": "seq_length: 2048\nfp8: True\n",
    })
    config = LegacyConfig(read_yaml_file(str(tmp_path / "data" / "small.yaml")))
    reason = fragment_reason(config)
    assert reason is not None and "included by" in reason and "`data@model.data: small`" in reason
    plain = tmp_path / "model_config.yaml"  # the same keys, named by no defaults list: a root-level model config
    plain.write_text("seq_length: 2048\nfp8: True\n", encoding="utf-8")
    assert fragment_reason(LegacyConfig(read_yaml_file(str(plain)))) is None


def test_full_configs_a_defaults_list_includes_still_convert_with_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - base\n  - opt@model.optim: a\n",
        "base.yaml": "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
        "opt/a.yaml": "name: distributed_fused_adam\ngrad_sync_dtype: bf16\n",
    })
    result = convert_path(str(tmp_path / "base.yaml"), ConvertOptions())
    assert result.status == "converted"
    assert any(f.code == "hydra-included" and "main.yaml" in f.message for f in result.findings)
    composed = convert_path(str(tmp_path / "main.yaml"), ConvertOptions())
    assert composed.spec.grad_reduce_dtype.value == "bf16"
    assert composed.findings[0].code == "hydra-composed" and composed.findings[0].severity == "notice"


# -- lint --------------------------------------------------------------------------------------------


def test_lint_reports_in_the_composed_file_and_honours_its_noqa(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - opt@model.optim: a\ntrainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
        "opt/a.yaml": "name: distributed_fused_adam\ngrad_sync_dtype: bf16\n",
    })
    settings = LintSettings(root=tmp_path)
    result = lint_file(str(tmp_path / "main.yaml"), settings)
    in_group = [d for d in result.diagnostics if d.path == str(tmp_path / "opt" / "a.yaml")]
    # grad_reduce_in_fp32 to write (NMP120) and, distributed Adam reducing in bf16, the fp32 embedding note
    assert [(d.line, d.code) for d in in_group] == [(2, "NMP120"), (2, "NMP123")]
    assert result.related == {str(tmp_path / "opt" / "a.yaml"): "name: distributed_fused_adam\ngrad_sync_dtype: bf16\n"}
    (tmp_path / "opt" / "a.yaml").write_text("name: distributed_fused_adam\ngrad_sync_dtype: bf16  # noqa: NMP120, NMP123\n")
    quiet = lint_file(str(tmp_path / "main.yaml"), settings)
    assert not [d for d in quiet.diagnostics if d.path != str(tmp_path / "main.yaml")]


# -- what is imported ------------------------------------------------------------------------------------


IMPORTS = (
    "import sys\n"
    "from typer.testing import CliRunner\n"
    "from migrate.cli import app\n"
    "from migrate.lint.runner import LintSettings, lint_file\n"
    "CliRunner().invoke(app, ['--help'])\n"
    "CliRunner().invoke(app, ['convert', '--help'])\n"
    "lint_file('fixtures/convert/legacy_fp8_absent_history.yaml', LintSettings())\n"
    "lint_file('fixtures/convert/hydra_defaults_and_missing.yaml', LintSettings())\n"
    "print('after plain', 'hydra' in sys.modules)\n"
    "lint_file('{composed}', LintSettings())\n"
    "print('after composed', 'hydra' in sys.modules)\n"
)


def test_help_and_lint_of_plain_yaml_do_not_import_hydra() -> None:
    code = IMPORTS.format(composed=f"{CONF}/sd_train.yaml")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-2:] == ["after plain False", "after composed True"]


def test_cli_group_choice_and_notice() -> None:
    result = run_cli(["convert", f"{CONF}/custom.yaml", "--set", "+optim@model.optim=distributed_fused_adam"])
    assert result.code == 0
    assert "group choice +optim@model.optim=distributed_fused_adam from --set" in result.stderr
    assert "grad_reduce_in_fp32=False,  # model.optim.grad_sync_dtype (fixtures/compose/sd/conf/optim/" in result.stdout


def test_optional_entries_without_their_group_skip_hydra_with_hydras_answer(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, {"main.yaml": "defaults:\n  - _self_\n  - optional ub@model.ub: h100\ntrainer:\n  precision: bf16\n"})
    document = read_yaml_file(str(tmp_path / "main.yaml"))
    fast = compose_document(document)
    monkeypatch.setattr(compose_module, "_surely_left_out", lambda entry, session: False)
    slow = compose_document(document)  # Hydra itself
    assert fast.data == slow.data == document.data
    assert fast.composition == slow.composition and "ub/h100.yaml is not there" in fast.composition.notes[0].message


def test_lint_skips_a_group_file_it_would_otherwise_read_as_a_root_model_config(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - data@model.data: small\ntrainer:\n  precision: bf16\n",
        "data/small.yaml": "fp8: True\n",
    })
    assert lint_file(str(tmp_path / "data" / "small.yaml"), LintSettings(root=tmp_path)).kind == "skipped"
    (tmp_path / "main.yaml").write_text("trainer:\n  precision: bf16\n", encoding="utf-8")
    assert lint_file(str(tmp_path / "data" / "small.yaml"), LintSettings(root=tmp_path)).kind == "legacy"


def test_a_root_model_config_with_optimizer_like_keys_is_not_a_fragment(tmp_path: Path) -> None:
    _write(tmp_path, {"model_config.yaml": "precision: bf16\nmegatron_amp_O2: True\nname: gpt\nlr: 1e-4\ndtype: bf16\n"})
    assert fragment_reason(LegacyConfig(read_yaml_file(str(tmp_path / "model_config.yaml")))) is None


def test_a_mandatory_value_merged_later_keeps_the_earlier_value_and_its_file(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - opt@model.optim: a\n  - _self_\nmodel:\n  optim:\n    grad_sync_dtype: ???\n",
        "opt/a.yaml": "name: distributed_fused_adam\ngrad_sync_dtype: bf16\n",
    })
    config = LegacyConfig(compose_document(read_yaml_file(str(tmp_path / "main.yaml"))))
    assert config.get("model.optim.grad_sync_dtype").value == "bf16"
    assert config.origin_of("model.optim.grad_sync_dtype").path == str(tmp_path / "opt" / "a.yaml")


def test_a_package_header_in_a_group_file_is_honoured(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.yaml": "defaults:\n  - precision: bf16\n",
        "precision/bf16.yaml": "# @package _global_\ntrainer:\n  precision: bf16\n",
    })
    config = LegacyConfig(compose_document(read_yaml_file(str(tmp_path / "main.yaml"))))
    origin = config.origin_of("trainer.precision")
    assert config.get("trainer.precision").value == "bf16" and (origin.path, origin.line) == (
        str(tmp_path / "precision" / "bf16.yaml"), 3)
