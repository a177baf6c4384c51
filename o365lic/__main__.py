"""``python -m o365lic``: the command line."""

from __future__ import annotations

import sys

from o365lic.cli import main

sys.exit(main())
