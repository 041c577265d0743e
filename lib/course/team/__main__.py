"""``python -m lib.course.team``: see :mod:`lib.course.team.cli`."""

import sys

from lib.course.team.cli import main

sys.exit(main())
