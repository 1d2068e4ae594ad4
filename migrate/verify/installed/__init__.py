"""verify's sides computed by the installed releases' own code instead of nemo-migrate's tables.

Used when NeMo 1.x (`snapshot`), NeMo 2.x or Megatron Bridge (`verify`) can be imported, and by the
conformance probes inside their pinned environments. Every module here imports only the standard
library at import time; the stacks themselves are imported inside the functions that need them.
"""
