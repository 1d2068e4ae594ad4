"""`python -m migrate.lint PATH...`: the fast entry point of `nemo-migrate lint` (see fastcli)."""

import sys

from migrate.lint.fastcli import main

sys.exit(main())
