"""Runs inside a NeMo 1.x environment: `python nemo1_probe.py CASES.json OUT.json TE_VERSION`.

The legacy side is computed by `migrate/verify/installed/nemo1.py`, the same code `nemo-migrate
snapshot` runs where NeMo 1.x is installed (its docstring lists every stand-in); this script only
calls it with the checkout on the path (PYTHONPATH, set by conformance/run.py).
"""

from __future__ import annotations

import sys

from migrate.verify.installed.nemo1 import main

if __name__ == "__main__":
    main(*sys.argv[1:4])
