"""The README's pre-commit set-ups work as pasted, run by the real pre-commit on a temporary git repository.

Both read their text from README.md (one source of truth): the local hook snippet is written into
`.pre-commit-config.yaml` as it is, and the `pre-commit try-repo` line is run against a copy of this
repository's `.pre-commit-hooks.yaml`. Offline: the local hook is `language: system` (the installed
`nemo-migrate`), and the try-repo copy differs from the shipped manifest only in `language: system`
instead of `python`, which would make pre-commit pip-install this package into a new environment.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
EXECUTABLE = "nemo-migrate.exe" if os.name == "nt" else "nemo-migrate"

GOOD = "trainer:\n  precision: bf16\n  gradient_clip_val: 1.0\nmodel:\n  megatron_amp_O2: True\n"
BAD = GOOD + "  fp8: True\n  transformer_engine: True\n"  # NMP101: FP8 without a format, NeMo 1.0 refuses it

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: pre-commit needs a git repository"),
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                       reason="pre-commit is not installed (pip install -e '.[test]' installs it)"),
    pytest.mark.skipif(not (BIN / EXECUTABLE).exists() and shutil.which("nemo-migrate") is None,
                       reason="the nemo-migrate executable is not installed (pip install -e .): the hooks run it"),
]


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("**pre-commit.**")
    return text[start:text.index("**GitHub Actions**", start)]


def readme_hook_config() -> str:
    """The `.pre-commit-config.yaml` snippet of the README, byte for byte."""
    match = re.search(r"```yaml\n(.*?)```", _readme_section(), re.S)
    assert match, "README: no yaml block in the pre-commit section"
    return match.group(1)


def readme_try_repo_arguments() -> list[str]:
    """`pre-commit try-repo PATH/TO/nemo-migrate HOOK ...` of the README, without `pre-commit` and the path."""
    match = re.search(r"`pre-commit (try-repo) PATH/TO/nemo-migrate ([^`]+)`", _readme_section())
    assert match, "README: no `pre-commit try-repo PATH/TO/nemo-migrate ...` line in the pre-commit section"
    return [match.group(1), *shlex.split(match.group(2))]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    for name in ("GITHUB_ACTIONS", "NEMO_MIGRATE_OUTPUT_FORMAT", "FORCE_COLOR", "PRE_COMMIT_COLOR"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, check=True, capture_output=True)


def _pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)


def _project(tmp_path: Path, env: dict[str, str], config: str | None) -> Path:
    """A git repository with a bad and a good legacy config, and a bad one under an excluded folder."""
    repo = tmp_path / "project"
    (repo / "conf").mkdir(parents=True)
    (repo / "vendor").mkdir()
    (repo / "conf" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (repo / "conf" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (repo / "vendor" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (repo / "pyproject.toml").write_text('[tool.nemo-migrate]\nexclude = ["vendor/*"]\n', encoding="utf-8")
    if config is not None:
        (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", "-A")
    return repo


def _assert_fails_on_bad_only(run: subprocess.CompletedProcess) -> None:
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert re.search(r"conf/bad\.yaml:6:3: NMP101 \[error\] fp8: True but neither fp8_e4m3 nor fp8_hybrid", output), output
    assert "good.yaml" not in output and "vendor/bad.yaml" not in output, output  # --force-exclude


def test_readme_local_hook_fails_on_the_bad_config_and_passes_on_the_good_one(tmp_path: Path) -> None:
    env = _env(tmp_path)
    config = readme_hook_config()
    assert "--force-exclude" in config and "language: system" in config
    repo = _project(tmp_path, env, config)
    _assert_fails_on_bad_only(_pre_commit(repo, env, "run", "--all-files"))
    good = _pre_commit(repo, env, "run", "--files", "conf/good.yaml", "vendor/bad.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"nemo-migrate lint\.+Passed", good.stdout), good.stdout


def test_readme_try_repo_runs_this_repositorys_hook(tmp_path: Path) -> None:
    env = _env(tmp_path)
    shipped = MANIFEST.read_text(encoding="utf-8")
    assert "entry: nemo-migrate lint --quiet --force-exclude\n" in shipped
    assert "  language: python\n" in shipped
    hooks = tmp_path / "nemo-migrate"
    hooks.mkdir()
    (hooks / ".pre-commit-hooks.yaml").write_text(shipped.replace("  language: python\n", "  language: system\n"), encoding="utf-8")
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", "-A")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    repo = _project(tmp_path, env, None)
    arguments = readme_try_repo_arguments()
    assert arguments[1:] == ["nemo-migrate-lint", "--all-files"]
    _assert_fails_on_bad_only(_pre_commit(repo, env, arguments[0], str(hooks), *arguments[1:]))
    good = _pre_commit(repo, env, arguments[0], str(hooks), arguments[1], "--files", "conf/good.yaml", "vendor/bad.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"nemo-migrate lint\.+Passed", good.stdout), good.stdout


def test_the_shipped_manifest_is_valid_for_pre_commit(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
