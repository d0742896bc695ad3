"""``python -m monstrum_tui.cli``: the same as the ``monstrum`` command."""

import sys

from . import main

sys.exit(main())
