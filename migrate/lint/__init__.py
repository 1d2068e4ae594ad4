"""`nemo-migrate lint`: rule-based checks of precision configs for CI (legacy YAML, AutoModel YAML, Python)."""
