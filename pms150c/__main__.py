"""`python -m pms150c`: see pms150c/cli.py."""

from .cli import exit_process, main

exit_process(main())
