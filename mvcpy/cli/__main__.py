"""``python -m mvcpy.cli``: the ``mvcpy`` command."""

import sys

from mvcpy.cli import main

sys.exit(main())
