"""What the target stacks' Python APIs accept, release by release: the facts both sides share.

Writing (`migrate.plan`, `migrate.emit`) and reading (`migrate.nemo2`, `migrate.lint`,
`migrate.codemod`) NeMo 2.x, Megatron Bridge and NeMo AutoModel code import these tables, so a
signature, a default, a recipe or a module name is written down once: `nemo2` (MegatronMixedPrecision
per NeMo 2.x release, NeMo-Run and recipe names), `bridge` (MixedPrecisionConfig fields and recipes),
`automodel` (its release and dtype spellings), `dtype` (a torch dtype in generated code).

`migrate.verify` keeps its own tables of the same defaults and recipes on purpose
(`verify/nemo2_signatures.py`, `verify/bridge_recipes.py`), written separately from these: a wrong
default here then shows up as a verify difference instead of being confirmed by the check meant to
catch it. Verify shares only the module names by which it finds calls in a script.
"""
