"""NMP107: `model.precision` differs from `trainer.precision`."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    if not ctx.layout.model or not ctx.layout.has_trainer:
        return
    key = ctx.model_key("precision")
    model = ctx.precision(key)
    if model is None:
        return
    # trainer.precision absent: PyTorch Lightning's default '32-true'
    trainer_key = ctx.layout.trainer_key("precision")
    trainer = ctx.precision(trainer_key) if ctx.get(trainer_key) is not None else "fp32"
    if trainer is not None and model != trainer:
        yield ctx.at_key(
            key,
            f"{key} ({model}) differs from trainer.precision ({trainer}): NeMo 1.0 built the model in {model} "
            f"under a {trainer} trainer plugin; NeMo 2.0 has one precision",
        )


RULE = Rule(
    code="NMP107",
    name="model-precision-differs",
    severity="warning",
    kind="legacy",
    summary="`model.precision` and `trainer.precision` disagree",
    explanation=(
        "`MegatronBaseModel.__init__` takes the model dtype from `model.precision` when it is set, while the "
        "Lightning precision plugin (loss scaling, autocast) follows `trainer.precision`. A config where they "
        "differ runs a mixture that NeMo 2.0 cannot express: `MegatronMixedPrecision` has a single "
        "`precision`. Make them equal, or remove `model.precision` (it defaults to the trainer's)."
    ),
    bad="trainer:\n  precision: 16\nmodel:\n  precision: bf16\n",
    good="trainer:\n  precision: bf16\nmodel:\n  precision: bf16\n",
    bad_at=((4, 3),),
    check=check,
)
