"""`python -m pms150c`: see pms150c/cli.py."""

import sys

from .cli import main

sys.exit(main())
