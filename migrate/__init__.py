"""nemo-migrate: move NeMo 1.0 precision configs to NeMo 2.0 without changing their numerics."""

__version__ = "0.1.0"
