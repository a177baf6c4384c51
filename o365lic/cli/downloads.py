"""Commands that hand a table to a person: ``export --format xlsx``, ``reclaimable``,
``overlaps``; and the check of ``sync --tenant`` before anything is synced.

Handlers raise; :mod:`o365lic.cli.errors` words the error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pandas as pd

from o365lic import demo, insights, reports
from o365lic.cli.common import open_store, organization_option, terminal_name
from o365lic.cli.errors import EXIT_OK, CliError, UsageError, os_reason
from o365lic.config import Settings
from o365lic.cost_reports import license_costs
from o365lic.filenames import download_name
from o365lic.graph import validate_tenant_input
from o365lic.sheets import costs_sheet, licenses_sheet, overlaps_sheet, reclaimable_sheet, sheet_csv
from o365lic.store import Store
from o365lic.store.integrations import find_tenant
from o365lic.store.prices import install_demo_prices
from o365lic.workbook import workbook_bytes

__all__ = ["FORMATS", "HANDLERS", "add_parsers", "check_sync_tenants", "export_workbook", "output_path"]

FORMATS = ("csv", "xlsx")
Handler = Callable[[argparse.Namespace, Settings, TextIO, TextIO], int]

EXPORT_HELP = "every license as CSV (stdout unless --out), or an Excel workbook with --format xlsx --out FILE"
EXPORT_DESCRIPTION = (
    "The complete data dump for scripts: every license of every organization, free, viral and trial "
    "SKUs included (--without-free leaves them out), as the CSV of SPEC section 9 (UTF-8 without a "
    "byte-order mark, header Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced). "
    "For a person opening it in Excel: --format xlsx --out FILE writes a workbook (numbers as numbers, "
    "dates as dates, a header row that stays put); with --costs it holds the cost table. --out FOLDER "
    "names the file after the organization and today's date."
)


def add_parsers(commands: argparse._SubParsersAction, export: argparse.ArgumentParser) -> None:
    """``--format`` on ``export``, and the ``reclaimable`` and ``overlaps`` commands."""
    export.add_argument("--format", choices=FORMATS, default="csv",
                        help="csv (default) or xlsx, an Excel workbook (needs --out)")
    for name, text in (
        ("reclaimable", "licenses assigned to disabled accounts, to take back (CSV, or --format xlsx --out FILE)"),
        ("overlaps", "users holding two licenses whose plans overlap, usually money spent twice "
                     "(CSV, or --format xlsx --out FILE)"),
    ):
        command = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("--organization", metavar="NAME", help="only this organization")
        command.add_argument("--format", choices=FORMATS, default="csv")
        command.add_argument("--out", metavar="FILE", type=Path,
                             help="write to FILE (or into FOLDER, named with the organization and date)")


def output_path(out: Path | None, fmt: str, title: str, organization: str | None) -> Path | None:
    """Where to write: ``--out`` as given, or a file named after the export, the organization
    and today's date inside ``--out`` when it is a folder. An xlsx without ``--out`` is refused."""
    if out is None:
        if fmt == "xlsx":
            raise UsageError(f"--format xlsx writes a file: add --out FILE, for example "
                             f"--out \"{download_name(title, organization, 'xlsx')}\" (or --out FOLDER)")
        return None
    if out.is_dir():
        return out / download_name(title, organization, fmt)
    return out


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {os_reason(exc)}") from None


def _store(settings: Settings, *, prices: bool = False) -> Store:
    store = open_store(settings)
    if settings.demo_mode:
        demo.ensure_demo_tenants(store)
        if prices:
            install_demo_prices(store)
    return store


def export_workbook(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``export --format xlsx --out FILE [--costs] [--organization NAME] [--without-free]``."""
    title = "Office 365 License Costs" if args.costs else "Office 365 Licenses"
    output_path(args.out, "xlsx", title, args.organization)  # refused before opening anything
    store = _store(settings, prices=args.costs)
    organizations = organization_option(store, args.organization)
    path = output_path(args.out, "xlsx", title, organizations[0] if organizations else None)
    assert path is not None
    if args.costs:
        table = license_costs(store, reports.LicenseFilter.of(organizations, include_free=not args.without_free))
        sheets = {"License costs": costs_sheet(table)}
    else:
        table = reports.licenses(store, organizations=organizations, include_free=not args.without_free)
        sheets = {"Licenses": licenses_sheet(table)}
    _write(path, workbook_bytes(sheets))
    print(f"{len(table)} licenses written to {path}", file=err)
    return EXIT_OK


def _table_command(title: str, read: Callable[[Store, list[str] | None], pd.DataFrame],
                   shape: Callable[[pd.DataFrame], pd.DataFrame], counted: str) -> Handler:
    def handler(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
        output_path(args.out, args.format, title, args.organization)
        store = _store(settings)
        organizations = organization_option(store, args.organization)
        sheet = shape(read(store, organizations))
        path = output_path(args.out, args.format, title, organizations[0] if organizations else None)
        if args.format == "xlsx":
            assert path is not None
            _write(path, workbook_bytes({title: sheet}))
        elif path is not None:
            _write(path, sheet_csv(sheet).encode("utf-8"))
        else:
            out.write(sheet_csv(sheet))
        print(f"{len(sheet)} {counted}" + (f" written to {path}" if path else ""), file=err)
        return EXIT_OK
    return handler


def check_sync_tenants(store: Store, tenants: list[str] | None) -> list[str] | None:
    """The tenant ids ``sync --tenant`` names, each checked before anything is synced: not a
    tenant id or domain, or not connected, is one line naming the input and what to do."""
    if not tenants:
        return tenants
    found: list[str] = []
    for text in tenants:
        shown = terminal_name(text.strip(), 80)
        try:
            value = validate_tenant_input(text)
        except ValueError:
            raise CliError(f"--tenant {shown!r} is neither a tenant id (a GUID such as "
                           "72f988bf-86f1-41af-91ab-2d7cd011db47) nor a domain such as contoso.onmicrosoft.com: "
                           "give one of those; python -m o365lic tenants list shows the connected tenants") from None
        tenant_id = find_tenant(store, value)
        if tenant_id is None:
            raise CliError(f"--tenant {shown}: no connected tenant has this id or domain; connect it with "
                           f"python -m o365lic tenants add {value} --organization NAME, or see the connected "
                           "tenants with python -m o365lic tenants list")
        found.append(tenant_id)
    return found


HANDLERS: dict[str, Handler] = {
    "reclaimable": _table_command(
        "Reclaimable licenses",
        lambda store, orgs: insights.reclaimable_licenses(store, reports.LicenseFilter.of(orgs)),
        reclaimable_sheet, "licenses assigned to disabled accounts"),
    "overlaps": _table_command(
        "Overlapping licenses",
        lambda store, orgs: insights.overlapping_licenses(store, reports.LicenseFilter.of(orgs)),
        overlaps_sheet, "overlapping licenses"),
}
