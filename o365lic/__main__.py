"""``python -m o365lic``: the command line."""

from __future__ import annotations

import os
import sys


def _run() -> int:
    # A standard stream closed by the caller (`>&-`) must not hand its number to the database
    # file: hold it with /dev/null (sys.stdout stays None, and the CLI treats it as closed).
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)
    try:
        from o365lic.cli import main
    except KeyboardInterrupt:  # Ctrl-C while starting up
        print("interrupted", file=sys.stderr)
        return 130
    return main(program=True)


sys.exit(_run())
