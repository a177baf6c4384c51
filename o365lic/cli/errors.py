"""The command line's one place where an error becomes one line on stderr and an exit code.

Exit codes (README): 0 success, 1 a failure (a tenant failed, bad input, the database is
busy or damaged, a file cannot be written), 2 a configuration or usage error, 130 Ctrl-C.
Every command, including those added later, raises and this module words it; no traceback
reaches the terminal.
"""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb

from o365lic.config import ConfigError

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "UsageError",
    "describe",
    "one_line",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """Bad input or a failure found by the command line itself; the message is the line shown."""

    exit_code = EXIT_FAILED


class UsageError(CliError):
    """A command used the wrong way (exit 2)."""

    exit_code = EXIT_USAGE


_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file is in the way of a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or folder",
    errno.EADDRINUSE: "the port is in use",
    errno.EDQUOT: "the disk quota is exceeded",
}


def one_line(text: object) -> str:
    """A message on one line: its lines joined with ``; ``."""
    parts = [" ".join(line.split()) for line in str(text).splitlines()]
    return "; ".join(p for p in parts if p)


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in words."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and exc.filename:
        return f"{exc.filename} is a file, not a folder"
    return _REASONS.get(exc.errno or 0, (exc.strerror or str(exc)).lower())


def describe(exc: BaseException, *, database: Path | None = None) -> tuple[int, str | None]:
    """The exit code and the line to print (None: print nothing) for an exception."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, BrokenPipeError):
        return EXIT_FAILED, None  # the reader went away (`| head`) or stdout is closed: quietly
    if isinstance(exc, CliError):
        return exc.exit_code, one_line(exc)
    if isinstance(exc, ConfigError):
        return EXIT_USAGE, f"configuration: {one_line(exc)}"
    where = f"the database {database}" if database else "the database"
    if isinstance(exc, duckdb.IOException):
        return EXIT_FAILED, (f"{where} cannot be read ({one_line(exc)}); it may be damaged or truncated: "
                             "restore it from a backup, or move it away to start afresh")
    if isinstance(exc, duckdb.Error):
        return EXIT_FAILED, f"{where} refused the operation: {one_line(exc)}"
    if isinstance(exc, OSError):
        target = f"cannot use {exc.filename}: " if exc.filename else ""
        return EXIT_FAILED, target + os_reason(exc)
    if isinstance(exc, (ValueError, RuntimeError, LookupError)):
        # the project's own errors (StoreError, GraphError, IntegrationError, ...) say what to do
        return EXIT_FAILED, one_line(exc) or type(exc).__name__
    return EXIT_FAILED, f"unexpected {type(exc).__name__}: {one_line(exc)}"
