"""``python -m lib.team``: see :mod:`lib.team.cli`."""

import sys

from lib.team.cli import main

sys.exit(main())
