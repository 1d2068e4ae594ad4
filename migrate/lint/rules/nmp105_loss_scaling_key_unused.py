"""NMP105: fp16 loss-scaling keys in a config that does not train in fp16."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP105")


RULE = Rule(
    code="NMP105",
    name="loss-scaling-key-unused",
    severity="info",
    kind="legacy",
    summary="`native_amp_*` / `hysteresis` have no effect unless the trainer precision is 16",
    explanation=(
        "NeMo 1.0 builds its GradScaler only for `trainer.precision: 16` (or '16-mixed'), and only then reads "
        "`native_amp_init_scale`, `native_amp_growth_interval` and `hysteresis`. In a bf16 or fp32 config "
        "they are dead configuration, and a migration must not turn them into fp16 loss-scaling arguments."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  native_amp_init_scale: 4294967296\n",
    good="trainer:\n  precision: 16\nmodel:\n  native_amp_init_scale: 4294967296\n",
    bad_at=((4, 3),),
    check=check,
)
