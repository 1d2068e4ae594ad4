"""`nemo-migrate verify`: evidence that a migrated config trains like the legacy one.

A structural check (CPU) compares every effective precision setting of the NeMo 1.0 run with
what the NeMo 2.0 plugin call would do; a numeric check (GPU with Transformer Engine) trains a
small model under both recipes and requires bitwise-equal results. torch and Transformer Engine
are imported lazily, only by the numeric parts.

`--target bridge` reads a Megatron Bridge module instead (same rows, same bitwise check);
`--target automodel` reads AutoModel YAML, whose torchao FP8 can only be compared approximately
(`approximate`, `torchao_numeric`).
"""
