"""`python -m <program>` runs the program's command line."""

import sys

from .cli import main

sys.exit(main())
