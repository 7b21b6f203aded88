"""``python -m spectrust``: the ``spectrust`` command."""

import sys

from .cli import main

sys.exit(main())
