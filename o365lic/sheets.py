"""Tables in the user's words for a download: the header row and the values of each export.

The same frames feed the Excel workbook (:func:`o365lic.workbook.workbook_bytes`) and the CSV
of the reclaimable and overlapping licenses (:func:`sheet_csv`). The plain license CSV of SPEC
section 9 stays :func:`o365lic.export.licenses_csv`, header unchanged.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from o365lic.export import guard_cell, iso_utc

__all__ = [
    "costs_sheet",
    "licenses_sheet",
    "overlaps_sheet",
    "reclaimable_sheet",
    "sheet_csv",
    "sku_totals_sheet",
]


def _pick(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``table``'s columns renamed to their headers (a missing column left empty)."""
    out = pd.DataFrame(index=table.index)
    for column, header in columns.items():
        out[header] = table.get(column, None)
    return out.reset_index(drop=True)


def licenses_sheet(licenses: pd.DataFrame) -> pd.DataFrame:
    """A table from :func:`o365lic.reports.licenses`: Organization, Tenant ID, License, SKU,
    Status, Active, Consumed, Unused, Over-assigned, Free / trial (why a SKU counts as free or
    trial, empty for a paid one), Last Synced (UTC)."""
    return _pick(licenses, {
        "organization": "Organization", "tenant_id": "Tenant ID", "license_name": "License",
        "sku_part_number": "SKU", "status": "Status", "active": "Active", "consumed": "Consumed",
        "unused": "Unused", "over_assigned": "Over-assigned", "free_reason": "Free / trial",
        "synced_at": "Last Synced (UTC)",
    })


def costs_sheet(costs: pd.DataFrame) -> pd.DataFrame:
    """A table from :func:`o365lic.cost_reports.license_costs`: the columns of the cost CSV,
    plus Over-assigned and the annual costs; unpriced cells empty."""
    return _pick(costs, {
        "organization": "Organization", "tenant_id": "Tenant ID", "license_name": "License",
        "sku_part_number": "SKU", "active": "Active", "consumed": "Consumed", "unused": "Unused",
        "over_assigned": "Over-assigned", "currency": "Currency", "monthly_price": "Monthly Price",
        "monthly_cost": "Monthly Cost", "unused_monthly_cost": "Unused Monthly Cost",
        "annual_cost": "Annual Cost", "unused_annual_cost": "Unused Annual Cost",
    })


def reclaimable_sheet(reclaimable: pd.DataFrame) -> pd.DataFrame:
    """A table from :func:`o365lic.insights.reclaimable_licenses`."""
    frame = _pick(reclaimable, {
        "organization": "Organization", "user": "User", "user_principal_name": "User Principal Name",
        "license_name": "License", "sku_part_number": "SKU", "account_disabled": "Account Disabled",
    })
    frame["Account Disabled"] = ["yes" if bool(v) else "no" for v in frame["Account Disabled"]]
    return frame


def overlaps_sheet(overlaps: pd.DataFrame) -> pd.DataFrame:
    """A table from :func:`o365lic.insights.overlapping_licenses`."""
    return _pick(overlaps, {
        "organization": "Organization", "user": "User", "user_principal_name": "User Principal Name",
        "license_name": "License", "sku_part_number": "SKU", "overlapping_license": "Overlapping License",
        "overlapping_sku": "Overlapping SKU", "reason": "Reason",
    })


def sku_totals_sheet(totals: pd.DataFrame) -> pd.DataFrame:
    """A table from :func:`o365lic.insights.sku_totals`."""
    return _pick(totals, {
        "license_name": "License", "sku_part_number": "SKU", "kind": "Paid / free / trial",
        "organizations": "Organizations", "active": "Active", "consumed": "Consumed", "unused": "Unused",
        "over_assigned": "Over-assigned",
    })


def _csv_cell(value: object) -> object:
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return iso_utc(value)
    if isinstance(value, str):
        return guard_cell(value)
    return value


def sheet_csv(sheet: pd.DataFrame) -> str:
    """The CSV text of a sheet (UTF-8, CRLF, no byte-order mark): text cells carry the formula
    guard of the plain export, times are ISO 8601 UTC."""
    out = pd.DataFrame({column: [_csv_cell(v) for v in sheet[column]] for column in sheet.columns},
                       columns=list(sheet.columns))
    return out.to_csv(index=False, lineterminator="\r\n")
