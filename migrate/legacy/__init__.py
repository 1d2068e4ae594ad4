"""Reading NeMo 1.0 (Hydra/OmegaConf) YAML: positions, interpolations, overrides."""
