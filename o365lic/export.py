"""CSV export of licenses (SPEC section 9)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

__all__ = ["CSV_HEADER", "SYNC_LOG_HEADER", "guard_cell", "iso_utc", "licenses_csv", "sync_log_csv", "table_csv"]

CSV_HEADER: tuple[str, ...] = (
    "Organization", "Tenant ID", "License", "SKU", "Status", "Active", "Consumed", "Unused", "Last Synced",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula (prefixed with ``'``)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def iso_utc(value: Any) -> str:
    """ISO 8601 UTC (``2026-11-26T06:30:00Z``), or empty for no time."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(UTC)
    moment: datetime = stamp.tz_convert(UTC).to_pydatetime().replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def licenses_csv(licenses: pd.DataFrame) -> str:
    """The CSV text of a licenses table as :func:`o365lic.reports.licenses` returns it."""
    text_columns = {
        "Organization": "organization", "Tenant ID": "tenant_id", "License": "license_name",
        "SKU": "sku_part_number", "Status": "status",
    }
    out = pd.DataFrame(index=licenses.index)
    for header in CSV_HEADER:
        if header in text_columns:
            column = licenses[text_columns[header]].astype(object).where(
                licenses[text_columns[header]].notna(), "")
            out[header] = [guard_cell(str(v)) for v in column]
        elif header == "Last Synced":
            out[header] = [iso_utc(v) for v in licenses["synced_at"]]
        else:
            out[header] = licenses[header.lower()].fillna(0).astype("int64")
    return out.to_csv(index=False, lineterminator="\r\n")


SYNC_LOG_HEADER: tuple[str, ...] = (
    "Run", "Organization", "Tenant ID", "Started", "Finished", "Seconds", "Outcome", "Licenses",
    "Users", "Requests", "Retries", "Error", "Trigger",
)


def sync_log_csv(runs: pd.DataFrame) -> str:
    """The CSV text of a sync log as :func:`o365lic.reports.sync_log` returns it."""
    columns = ["run", "organization", "tenant_id", "started_at", "finished_at", "seconds", "outcome",
               "licenses", "users", "requests", "retries", "error", "trigger"]
    out = pd.DataFrame(index=runs.index)
    for header, column in zip(SYNC_LOG_HEADER, columns):
        values = runs[column]
        if column in ("started_at", "finished_at"):
            out[header] = [iso_utc(v) for v in values]
        elif column in ("organization", "tenant_id", "outcome", "error", "trigger"):
            out[header] = [guard_cell("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
                           for v in values]
        else:
            out[header] = ["" if pd.isna(v) else v for v in values]
    return out.to_csv(index=False, lineterminator="\r\n")


def table_csv(frame: pd.DataFrame, columns: Mapping[str, str]) -> str:
    """The CSV text of any table: ``columns`` maps each header to its column. Text cells are
    guarded against formulas, times written in ISO 8601 UTC, missing values left empty."""
    out = pd.DataFrame(index=frame.index)
    for header, column in columns.items():
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        cells = []
        for v in values:
            if v is None or (not isinstance(v, (str, list, tuple)) and pd.isna(v)):
                cells.append("")
            elif isinstance(v, (pd.Timestamp, datetime)):
                cells.append(iso_utc(v))
            elif isinstance(v, (bool, int, float)):
                cells.append(v)
            else:
                cells.append(guard_cell(str(v)))
        out[header] = cells
    return out.to_csv(index=False, lineterminator="\r\n")
