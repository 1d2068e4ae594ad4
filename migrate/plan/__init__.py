"""From a PrecisionSpec to what each target must say: arguments, YAML keys and findings.

`python` is the one planner of the Python targets (NeMo 2.x's MegatronMixedPrecision, Megatron
Bridge's MixedPrecisionConfig); `targets` describes each of them (defaults of the release, the
arguments always written, the wording of findings), so a new release is a table entry there.
`automodel` plans the AutoModel YAML blocks; `dropped` holds what no target can keep. Rendering
the plans is `migrate.emit`'s job; lint reads the NeMo 2.x plan for its findings.
"""
