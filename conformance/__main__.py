"""`python -m conformance [TARGET ...]`: install what is missing, run the harnesses, print the tables.

TARGET is `all` (the default), a stack (`nemo2`, `bridge`, `automodel`, `nemo1`) or one environment
(`nemo2-2.5`, `bridge-0.6.2`, ...). Other commands: `list` (every environment, whether it is cached),
`install TARGET...` (install afresh from the lock files; prints time and disk), `lock TARGET...`
(re-resolve the top-level pins and rewrite the lock files).
"""

from __future__ import annotations

import argparse
import sys

from conformance.envs import ENVS, cache_dir, disk_usage, env_dir, install, installed, lock


def select(targets: list[str]) -> list[str]:
    """Environment names for `all`, a stack name or an environment name, in registry order."""
    names: list[str] = []
    for target in targets or ["all"]:
        matched = [n for n, e in ENVS.items() if target in ("all", e.stack, n)]
        if not matched:
            raise SystemExit(f"unknown target {target!r}: one of all, {', '.join(sorted({e.stack for e in ENVS.values()}))}, {', '.join(ENVS)}")
        names += [n for n in matched if n not in names]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="all | STACK | ENV (default: all); or `lock NAME...`, `list`")
    parser.add_argument("--no-install", action="store_true", help="skip environments that are not cached instead of installing them")
    parser.add_argument("--corpus", help="directory of extra legacy YAML configs (default: $NEMO_MIGRATE_CORPUS_DEV when set)")
    parser.add_argument("--json", help="also write every result to this JSON file")
    parser.add_argument("--reuse", action="store_true", help="with `lock`: freeze the cached environment as it is")
    args = parser.parse_args(argv)
    if args.targets[:1] == ["lock"]:
        for name in select(args.targets[1:]):
            print(f"wrote {lock(ENVS[name], reuse=args.reuse)}")
        return 0
    if args.targets[:1] == ["install"]:
        for name in select(args.targets[1:]):
            seconds = install(ENVS[name])
            print(f"{name}: installed in {seconds:.0f} s, {disk_usage(env_dir(ENVS[name])) / 2**30:.2f} GiB", flush=True)
        return 0
    if args.targets[:1] == ["list"]:
        print(f"cache: {cache_dir()}")
        for name, env in ENVS.items():
            state = "installed" if installed(env) else "not installed"
            print(f"{name:16} {env.release:8} Python {env.python}  {state}  {env_dir(env)}")
        return 0
    from conformance.run import run_targets

    return run_targets(select(args.targets), allow_install=not args.no_install, corpus=args.corpus, json_path=args.json)


if __name__ == "__main__":
    sys.exit(main())
