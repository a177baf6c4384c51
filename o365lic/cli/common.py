"""Helpers the commands share: open the database, resolve TENANT arguments, print names,
write files. Errors are raised (worded in :mod:`o365lic.cli.errors`)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from o365lic import demo
from o365lic.cli.errors import EXIT_OK, CliError, os_reason
from o365lic.config import Settings
from o365lic.graph import (
    GraphError,
    is_tenant_guid,
    resolve_tenant_id,
    validate_tenant_input,
)
from o365lic.store import Store, organization_named
from o365lic.store.integrations import MAX_INTERVAL_MINUTES, find_tenant
from o365lic.sync import recover_interrupted_runs
from o365lic.text import clean_name

__all__ = [
    "TENANT_HELP",
    "close_interrupted_runs",
    "interval_minutes",
    "open_store",
    "organization_option",
    "port_number",
    "positive_int",
    "runtime_settings",
    "tenant_ids",
    "terminal_name",
    "utc_text",
    "write_file",
    "write_table",
]


def open_store(settings: Settings) -> Store:
    """The database, after checking that its path can hold one (one clear line if not)."""
    path = Path(settings.db_path)
    if path.is_dir():
        raise CliError(f"the database {path} is a folder, not a file: set O365LIC_DB to a file")
    if not path.exists():
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise CliError(f"cannot create the database {path}: {parent} is a file, not a folder "
                                   "(set O365LIC_DB to another path)")
                if not os.access(parent, os.W_OK | os.X_OK):
                    raise CliError(f"cannot create the database {path}: the folder {parent} is not writable "
                                   "(set O365LIC_DB to another path)")
                break
    return Store(path)


def runtime_settings(settings: Settings, store: Store) -> Settings:
    """Settings for talking to Microsoft, or to the simulator in demo mode (its tenants connected)."""
    if settings.demo_mode:
        resolved = demo.runtime_settings(settings)
        demo.ensure_demo_tenants(store)
        return resolved
    return settings


def tenant_ids(store: Store, settings: Settings, tenants: Sequence[str]) -> list[str]:
    """Tenant ids for what was typed: a GUID as it is; a domain looked up among the stored
    tenants' default and verified domains first, then with Microsoft's sign-in service."""
    found: list[str] = []
    for text in tenants:
        value = validate_tenant_input(text)
        tenant_id = value if is_tenant_guid(value) else find_tenant(store, value)
        if tenant_id is None:
            try:
                tenant_id = resolve_tenant_id(demo.runtime_settings(settings), value)
            except GraphError as exc:
                raise CliError(f"{value}: {exc.message}") from None
        found.append(tenant_id)
    return found


def terminal_name(text: object, width: int | None = None) -> str:
    """A name from the database or a tenant, fit for the terminal."""
    name = clean_name(text) or "-"
    return name[:width] if width else name


def close_interrupted_runs(store: Store) -> None:
    """Show runs left 'running' by a killed sync as Error ("interrupted"), when no sync runs."""
    try:
        recover_interrupted_runs(store)
    except OSError:
        pass  # the lock cannot be taken: show the runs as stored


def utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (its folders created), or one clear CliError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {os_reason(exc)}") from None


def write_table(text: str, licenses: int, path: Path | None, out: TextIO, err: TextIO) -> int:
    """A table's CSV to ``path`` (saying on ``err`` how many licenses it holds), or to ``out``."""
    if path:
        write_file(path, text)
        print(f"{licenses} licenses written to {path}", file=err)
    else:
        out.write(text)
    return EXIT_OK


TENANT_HELP = "tenant id (GUID) or one of its verified domains such as contoso.onmicrosoft.com"


def interval_minutes(text: str) -> int:
    """A sync interval from the command line: a whole number of minutes, one minute to one year."""
    value = int(text)  # not a number: argparse reports a usage error
    if not 1 <= value <= MAX_INTERVAL_MINUTES:
        raise CliError(f"--minutes must be from 1 to {MAX_INTERVAL_MINUTES} (one year), not {value}")
    return value


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {value}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def organization_option(store: Store, name: str | None) -> list[str] | None:
    """``[the organization's exact name]`` for ``--organization NAME``, or None for all of them."""
    if not name:
        return None
    found = organization_named(store, name)
    if found is None:
        raise CliError(f"no organization named {terminal_name(name)!r}: the names are listed by "
                       "python -m o365lic tenants list")
    return [found]
