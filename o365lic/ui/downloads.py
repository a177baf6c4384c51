"""Guarded downloads of the Global and Organization pages: a CSV and, next to it, an Excel
workbook of the same table, named ``{title} - {organization} - {date}`` (accents kept)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from o365lic.filenames import download_name
from o365lic.sheets import sheet_csv
from o365lic.workbook import workbook_bytes

__all__ = ["XLSX_MIME", "csv_and_xlsx"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_and_xlsx(sheet: pd.DataFrame | Callable[[], pd.DataFrame], title: str, organization: str | None, *,
                 key: str, csv: bytes | Callable[[], bytes] | None = None, label: str = "Download",
                 csv_label: str | None = None) -> None:
    """Two buttons side by side: "{label} CSV" (``csv`` if given, else :func:`sheet_csv`,
    formula-guarded) and "{label} Excel" (:func:`workbook_bytes`, text never a formula). Both files
    are built when their button is clicked, not on every run (thousands of rows take a tenth of a
    second to seconds); ``sheet`` and ``csv`` may be callables that build the table or file then."""
    def table() -> pd.DataFrame:
        return sheet() if callable(sheet) else sheet

    row = st.container(horizontal=True)  # each button as wide as its label: never cut off
    left = right = row
    data = csv if csv is not None else (lambda: sheet_csv(table()).encode("utf-8"))
    left.download_button(csv_label or f"{label} CSV", data=data, file_name=download_name(title, organization, "csv"),
                         mime="text/csv", on_click="ignore", icon=":material/download:", key=f"{key}_csv")
    right.download_button(f"{label} Excel", data=lambda: workbook_bytes({title: table()}),  # built when clicked
                          file_name=download_name(title, organization, "xlsx"), mime=XLSX_MIME,
                          on_click="ignore", icon=":material/table_view:", key=f"{key}_xlsx")
