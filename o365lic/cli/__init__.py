"""The command line: ``python -m o365lic ...`` (SPEC section 7).

:func:`main` parses (:mod:`o365lic.cli.parser`), runs the command's handler from
:data:`COMMANDS` and turns any error into one line and an exit code (:mod:`o365lic.cli.errors`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from o365lic.cli import commands, downloads, reporting
from o365lic.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, describe
from o365lic.cli.output import ScrubbedStream, quiet_stdout
from o365lic.cli.parser import build_parser
from o365lic.cli.tenants import tenants_command
from o365lic.config import load_settings, split_targets
from o365lic.sync import run_in_background

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]


#: The handler of each command: (args, settings, out, err) -> exit code. Handlers raise; the
#: error is worded once, in o365lic/cli/errors.py.
COMMANDS = {
    "tenants": tenants_command,
    "sync": commands.sync_command,
    "export": commands.export_command,
    "disconnect": commands.disconnect_command,
    "names": commands.names_command,
    "audit": commands.audit_command,
    **reporting.HANDLERS,
    **downloads.HANDLERS,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None,
         program: bool = False) -> int:
    """Run the command line; returns the exit code. Every error is one line on ``err``.
    ``program``: this process is ``python -m o365lic`` (a ``sync`` then runs it in the background)."""
    raw_out = out if out is not None else sys.stdout
    raw_err = err if err is not None else sys.stderr
    scrubbed_out, scrubbed_err = ScrubbedStream(raw_out, []), ScrubbedStream(raw_err, [])
    stdout, stderr = cast(TextIO, scrubbed_out), cast(TextIO, scrubbed_err)
    database: Path | None = None
    try:
        args = build_parser().parse_args(argv)
        if program and args.command == "sync":
            run_in_background()  # before any thread starts: they all inherit it
        if args.command == "simulate":
            code = commands.simulate_command(args, None, stdout, stderr)
        else:
            settings = load_settings()
            database = Path(settings.db_path)
            for stream in (scrubbed_out, scrubbed_err):
                stream.add_secret(settings.client_secret)
                for url in split_targets(settings.notify_urls):
                    stream.add_secret(url)
            code = COMMANDS[args.command](args, settings, stdout, stderr)
        stdout.flush()
        return code
    except SystemExit:
        raise  # argparse: --help, or a usage error it has already printed (exit 2)
    except BaseException as exc:  # noqa: BLE001 - the one place where errors become a line
        code, line = describe(exc, database=database)
        if isinstance(exc, BrokenPipeError):
            quiet_stdout(raw_out)
        if line:
            try:
                print(f"error: {line}" if code != 130 else line, file=stderr, flush=True)
            except (OSError, ValueError):
                pass  # stderr is gone too: the exit code says it
        return code
