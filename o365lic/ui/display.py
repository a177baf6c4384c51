"""Display formatting for the pages: numbers, names written as text, table column settings,
and guarded downloads.

Names come from customers' tenants and are data: every f-string that puts one into Markdown
(``st.markdown``, ``st.info``, captions, labels) goes through :func:`md`, so
``![p](http://attacker/pixel.png)`` shows as those characters and is never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from o365lic import export

__all__ = [
    "CSV_FILE_NAME",
    "CSV_MIME",
    "SYNC_LOG_FILE_NAME",
    "download_table",
    "file_name",
    "format_count",
    "format_percent",
    "licenses_column_config",
    "licenses_table",
    "md",
    "plural",
    "sync_log_csv",
]

CSV_FILE_NAME = "office365-licenses.csv"
CSV_MIME = "text/csv"
SYNC_LOG_FILE_NAME = "o365lic-sync-log.csv"

#: Every ASCII punctuation character Markdown, Streamlit's directives (``:red[...]``,
#: ``:material/x:``), LaTeX (``$``) or HTML could read as syntax.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#!|<>~$:&^])")
#: At the start of a message these begin a list, a heading or a quote.
_BLOCK_START = re.compile(r"^(\s*\d*)([-+=>.)])")


def md(value: Any) -> str:
    """``value`` as Markdown that shows exactly its characters (no link, image, emphasis or HTML)."""
    text = "" if value is None else str(value)
    text = " ".join(_MARKDOWN_SYNTAX.sub(r"\\\1", text).split())  # no newline: no new Markdown block
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def format_count(value: float | None) -> str:
    """A whole number with thousands separators (``12,345``)."""
    return f"{int(value or 0):,}"


def plural(count: float, word: str) -> str:
    """``1 organization``, ``6 organizations``, ``1,204 licenses``."""
    return f"{format_count(count)} {word}{'' if int(count) == 1 else 's'}"


def format_percent(value: float | None) -> str:
    """A ratio as a percentage with one decimal (``87.5%``)."""
    return f"{(value or 0.0) * 100:.1f}%"


def file_name(prefix: str, name: str) -> str:
    """A download's file name from a prefix and a customer's name (``office365-licenses-contoso.csv``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{prefix}-{slug or 'organization'}.csv"


def download_table(label: str, frame: pd.DataFrame, columns: Mapping[str, str], name: str, *, key: str) -> None:
    """A "Download CSV" button of a table, written by :func:`o365lic.export.table_csv` (formula-guarded):
    the only way a table leaves the app (the table toolbar's own download is switched off)."""
    st.download_button(label, data=export.table_csv(frame, columns).encode("utf-8"), file_name=name,
                       mime=CSV_MIME, on_click="ignore", icon=":material/download:", key=key)


def sync_log_csv(log: pd.DataFrame) -> bytes:
    """The CSV of a sync log (``export.sync_log_csv``, formula-guarded), UTF-8 encoded."""
    return export.sync_log_csv(log).encode("utf-8")


def licenses_table(licenses: pd.DataFrame) -> pd.DataFrame:
    """A licenses frame for display: utilisation in percent (``licenses_column_config``)."""
    return licenses.assign(utilisation=licenses["utilisation"] * 100)


def licenses_column_config(*, with_organization: bool = True) -> tuple[list[str], dict[str, Any]]:
    """The column order and ``column_config`` of a licenses table (``st.dataframe``)."""
    order = ["organization"] if with_organization else []
    order += ["license_name", "active", "consumed", "unused", "utilisation", "over_assigned",
              "status", "sku_part_number", "is_free", "synced_at", "tenant_id"]

    def count(label: str, hint: str) -> Any:
        return st.column_config.NumberColumn(label, format="localized", help=hint, width="small")

    config: dict[str, Any] = {
        "organization": st.column_config.TextColumn("Organization", width="medium"),
        "license_name": st.column_config.TextColumn("License", width="medium"),
        "sku_part_number": st.column_config.TextColumn("SKU", width="medium"),
        "status": st.column_config.TextColumn("Status", width="small"),
        "active": count("Active", "Paid units that work (enabled + warning)"),
        "consumed": count("Consumed", "Assigned units"),
        "unused": count("Unused", "Active units nobody is assigned"),
        "over_assigned": count("Over-assigned", "Assigned units beyond Active"),
        "utilisation": st.column_config.ProgressColumn(
            "Utilisation", format="%.0f%%", min_value=0.0, max_value=100.0, width="medium",
            help="Consumed / Active (over 100% when over-assigned)"),
        "is_free": st.column_config.CheckboxColumn("Free", help="Free, viral or trial SKU", width="small"),
        "synced_at": st.column_config.DatetimeColumn("Last synced", format="YYYY-MM-DD HH:mm",
                                                     width="medium"),
        "tenant_id": st.column_config.TextColumn("Tenant ID", width="medium"),
    }
    return order, config
