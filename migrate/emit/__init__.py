"""Rendering plans as target files: Python modules (one renderer for NeMo 2.x and Bridge) and AutoModel YAML."""
