"""What the command line prints: secrets scrubbed from every line; who is acting."""

from __future__ import annotations

import errno
import getpass
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from o365lic.text import clean_name, scrub_secrets

__all__ = ["ScrubbedStream", "cli_actor", "quiet_stdout"]


class ScrubbedStream:
    """A text stream that removes every form of the secrets from what is written to it.

    A missing stream (standard output closed before the program started) fails like a pipe
    whose reader went away, which the command line reports quietly.
    """

    def __init__(self, stream: TextIO | None, secrets: Iterable[str | None]) -> None:
        self._stream = stream
        self._secrets = [s for s in secrets if s]

    def add_secret(self, secret: str | None) -> None:
        """Scrub this secret too (e.g. the one a command loaded on its own)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def write(self, text: str) -> int:
        if self._stream is None:
            raise BrokenPipeError(errno.EPIPE, "standard output is closed")
        self._stream.write(scrub_secrets(text, self._secrets) if self._secrets else text)
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    @property
    def wrapped(self) -> TextIO | None:
        """The stream written to."""
        return self._stream


def cli_actor() -> str:
    """Who the audit log names for a command: ``cli:<OS user name>``, or ``cli``."""
    try:
        name = clean_name(getpass.getuser())
    except Exception:  # noqa: BLE001 - no user name in the environment or the password database
        name = ""
    return f"cli:{name}" if name else "cli"


def quiet_stdout(stream: TextIO | None) -> None:
    """After a broken pipe, point standard output at /dev/null so that the interpreter's final
    flush does not complain."""
    if stream is None or stream is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
