"""Excel workbooks (``.xlsx``) of tables, written with XlsxWriter.

One sheet per table, a bold header row that stays put when scrolling, columns wide enough
for the header and the usual values. Numbers are written as numbers, times as Excel dates
(UTC, without a time zone), and text always as text: a name starting with ``=`` is a
string, never a formula.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = ["DATETIME_FORMAT", "DATE_FORMAT", "DECIMAL_FORMAT", "WorkbookError", "sheet_name", "workbook_bytes"]

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
#: Columns of fractions (prices, costs) show two decimals; the value keeps its precision.
DECIMAL_FORMAT = "#,##0.00"
_MAX_TEXT = 32_767  # Excel's limit for one cell
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


class WorkbookError(ValueError):
    """The tables cannot make a workbook (e.g. none given)."""


def sheet_name(name: object, taken: set[str]) -> str:
    """A sheet name Excel accepts, unique among ``taken`` (compared without case): at most 31
    characters, none of ``[]:*?/\\``, not blank, not ``History``; ``taken`` is updated."""
    base = " ".join(_SHEET_ILLEGAL.sub(" ", str(name)).split()).strip("'")[:31] or "Sheet"
    if base.lower() == "history":
        base = "History (table)"
    candidate, number = base, 2
    while candidate.lower() in taken:
        tail = f" ({number})"
        candidate, number = base[: 31 - len(tail)] + tail, number + 1
    taken.add(candidate.lower())
    return candidate


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _display(value: Any) -> str:
    """How wide a value reads, for the column width."""
    if isinstance(value, datetime):
        return "2026-01-01 00:00"
    if isinstance(value, date):
        return "2026-01-01"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return str(value)[:_MAX_TEXT]


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """The ``.xlsx`` file of ``sheets`` (sheet name -> table, in order); column names are the
    header row."""
    if not sheets:
        raise WorkbookError("nothing to export: no table given")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
    })
    header = book.add_format({"bold": True, "bottom": 1})
    stamp = book.add_format({"num_format": DATETIME_FORMAT})
    day = book.add_format({"num_format": DATE_FORMAT})
    decimal = book.add_format({"num_format": DECIMAL_FORMAT})
    taken: set[str] = set()
    for name, frame in sheets.items():
        sheet = book.add_worksheet(sheet_name(name, taken))
        columns = [str(c) for c in frame.columns]
        widths = [len(c) for c in columns]
        fractions = [frame[c].dtype.kind == "f" for c in frame.columns]
        for col, title in enumerate(columns):
            sheet.write_string(0, col, title, header)
        for row_number, row in enumerate(frame.itertuples(index=False, name=None), start=1):
            for col, value in enumerate(row):
                if _is_blank(value):
                    sheet.write_blank(row_number, col, None)
                    continue
                if isinstance(value, pd.Timestamp):
                    value = value.to_pydatetime()
                if isinstance(value, (bool, np.bool_)):
                    sheet.write_boolean(row_number, col, bool(value))
                elif isinstance(value, datetime):
                    sheet.write_datetime(row_number, col, _naive_utc(value), stamp)
                elif isinstance(value, date):
                    sheet.write_datetime(row_number, col, datetime(value.year, value.month, value.day), day)
                elif isinstance(value, (numbers.Real, Decimal)):
                    if isinstance(value, numbers.Integral):
                        sheet.write_number(row_number, col, int(value))
                    else:
                        sheet.write_number(row_number, col, float(value), decimal if fractions[col] else None)
                else:
                    value = _text(value)
                    sheet.write_string(row_number, col, value)
                if row_number <= 1000:  # the usual values: the first thousand rows are enough
                    widths[col] = max(widths[col], len(_display(value)))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)
    book.close()
    return buffer.getvalue()
