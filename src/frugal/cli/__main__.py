"""``python -m frugal.cli``: the ``frugal`` command."""

import sys

from . import main

sys.exit(main())
