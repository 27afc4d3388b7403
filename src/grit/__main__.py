"""``python -m grit`` (and ``accelerate launch -m grit``) runs the ``grit`` command."""

import sys

from grit.cli import main

sys.exit(main())
