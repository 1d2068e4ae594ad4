"""Conformance harnesses: the real NeMo 1.x / NeMo 2.x / Megatron Bridge / AutoModel code as oracles.

Each harness installs a pinned environment (one per stack and release) into a cache directory, runs
what `convert` writes (or, for NeMo 1.x, the legacy YAML itself) through the real classes there, and
compares every value with the column `verify` computes from the project's own tables. Nothing here is
imported by the `nemo-migrate` package; run it with `python -m conformance`.
"""
