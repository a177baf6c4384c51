"""Altair chart builders for the pages: a DataFrame in, a chart out (no Streamlit, no I/O).

Every bar is one row (an organization or a license): the assigned units within Active
("Consumed") and the idle ones ("Unused") are stacked, so together they are exactly Active;
units assigned beyond Active ("Over-assigned") continue the bar in a warning colour. Bars are
horizontal and the chart grows with its rows, so 500 organizations stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import altair as alt
import pandas as pd

__all__ = [
    "DEFAULT_TOP",
    "PAGE_SIZE",
    "ROW_HEIGHT",
    "SEGMENTS",
    "SEGMENT_COLORS",
    "SORT_BY",
    "SortBy",
    "license_chart",
    "license_labels",
    "organization_chart",
    "organization_page",
    "stacked_frame",
    "top_organizations",
]

#: The stacked parts of a bar, in stacking order, and their colours (Over-assigned warns).
SEGMENTS: tuple[str, ...] = ("Consumed", "Unused", "Over-assigned")
SEGMENT_COLORS: tuple[str, ...] = ("#2f6db5", "#a8c8ec", "#e8590c")
#: Organizations the Global chart shows before "Show all organizations".
DEFAULT_TOP = 20
#: Organizations per page of "Show all" (the chart stays under PAGE_SIZE × ROW_HEIGHT pixels, far
#: below a browser's canvas limit, whatever the number of organizations).
PAGE_SIZE = 50
#: Pixels per bar (the vega-lite step of the y axis); the chart grows with its rows.
ROW_HEIGHT = 24
_COUNT_COLUMNS = ("active", "consumed", "unused", "over_assigned")
SortBy = Literal["unused", "over_assigned", "active"]
#: The sorts the Global chart offers, by their label (each bar is labelled with that number).
SORT_BY: dict[str, SortBy] = {"Unused": "unused", "Over-assigned": "over_assigned", "Active": "active"}
_SORT_TITLES = {"unused": "Unused", "over_assigned": "Over-assigned", "active": "Active"}


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in _COUNT_COLUMNS:
        if column not in out.columns:
            out[column] = 0
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    return out


def top_organizations(summary: pd.DataFrame, top: int | None = DEFAULT_TOP, *,
                      by: SortBy = "active") -> pd.DataFrame:
    """Organizations by ``by`` (largest first, then by name); the first ``top`` or all (None)."""
    frame = _counts(summary)
    if frame.empty:
        return frame.reset_index(drop=True)
    frame = frame.assign(_name=frame["organization"].astype(str).str.lower())
    frame = frame.sort_values([by, "_name"], ascending=[False, True], kind="stable")
    frame = frame.drop(columns="_name").reset_index(drop=True)
    if top is not None:
        frame = frame.head(max(int(top), 0))
    return frame


def stacked_frame(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The long form of ``frame`` (one row per bar and segment) in the order of its rows.

    Columns: ``label``, ``rank`` (row order), ``segment``, ``segment_order``, ``value``,
    ``bar_end`` (Active plus Over-assigned) and the row's own counts, for tooltips.
    """
    wide = _counts(frame).reset_index(drop=True)
    columns = [label, "rank", "segment", "segment_order", "value", "bar_end", *_COUNT_COLUMNS]
    if wide.empty:
        return pd.DataFrame(columns=columns)
    wide = wide.assign(rank=range(len(wide)), bar_end=wide["active"] + wide["over_assigned"])
    parts = {
        "Consumed": (wide["consumed"] - wide["over_assigned"]).clip(lower=0),
        "Unused": wide["unused"],
        "Over-assigned": wide["over_assigned"],
    }
    pieces = []
    for order, segment in enumerate(SEGMENTS):
        piece = wide[[label, "rank", "bar_end", *_COUNT_COLUMNS]].copy()
        piece["segment"] = segment
        piece["segment_order"] = order
        piece["value"] = parts[segment].astype("int64")
        pieces.append(piece)
    long = pd.concat(pieces, ignore_index=True)
    long = long.sort_values(["rank", "segment_order"], kind="stable").reset_index(drop=True)
    return long[columns]


def _stacked_bars(long: pd.DataFrame, label: str, order: Sequence[str], title: str,
                  label_title: str, by: SortBy = "active") -> alt.LayerChart:
    y = alt.Y(f"{label}:N", sort=list(order), title=None,
              axis=alt.Axis(labelLimit=280, labelOverlap=False))
    tooltip = [
        alt.Tooltip(f"{label}:N", title=label_title),
        alt.Tooltip("active:Q", title="Active", format=",d"),
        alt.Tooltip("consumed:Q", title="Consumed", format=",d"),
        alt.Tooltip("unused:Q", title="Unused", format=",d"),
        alt.Tooltip("over_assigned:Q", title="Over-assigned", format=",d"),
    ]
    bars = alt.Chart().mark_bar().encode(
        y=y,
        x=alt.X("value:Q", stack="zero", title="Licenses", axis=alt.Axis(format="~s")),
        color=alt.Color(
            "segment:N", title=None,
            scale=alt.Scale(domain=list(SEGMENTS), range=list(SEGMENT_COLORS)),
            legend=alt.Legend(orient="top", direction="horizontal"),
        ),
        order=alt.Order("segment_order:Q"),
        tooltip=tooltip,
    )
    # The number the bars are sorted by at the end of each bar (one label per row).
    labels = alt.Chart().transform_filter(alt.datum.segment_order == 0).mark_text(
        align="left", baseline="middle", dx=4, fontSize=11,
    ).encode(y=y, x=alt.X("bar_end:Q"), text=alt.Text(f"{by}:Q", format=",d"), tooltip=tooltip)
    # A step per row (not a fixed height): the chart grows with its rows, and Streamlit's
    # theme keeps it (a fixed height on a layered chart is squeezed by the theme).
    return alt.layer(bars, labels, data=long).properties(
        title=title, height=alt.Step(ROW_HEIGHT), width="container",
    )


def organization_chart(
    summary: pd.DataFrame, top: int | None = DEFAULT_TOP, *, title: str | None = None,
    by: SortBy = "active",
) -> alt.LayerChart:
    """Per organization (``reports.organization_summary``): the ``top`` by ``by``, or all; each
    bar labelled with its ``by`` number."""
    rows = top_organizations(summary, top, by=by)
    order = rows["organization"].astype(str).tolist() if not rows.empty else []
    rows = rows.assign(organization=order) if order else rows
    if title is None:
        total = len(summary)
        title = (f"Top {len(rows)} of {total} organizations by {_SORT_TITLES[by]}" if len(rows) < total
                 else f"Licenses per organization, by {_SORT_TITLES[by]}")
    return _stacked_bars(stacked_frame(rows, "organization"), "organization", order, title,
                         "Organization", by)


def license_labels(licenses: pd.DataFrame) -> list[str]:
    """A distinct label per license row: its name, with SKU and tenant where names repeat."""
    count = len(licenses)

    def column(name: str) -> list[str]:
        values = licenses[name].tolist() if name in licenses.columns else [None] * count
        return [v if isinstance(v, str) else "" for v in values]

    skus, tenants = column("sku_part_number"), column("tenant_id")
    labels = [name or sku or "?" for name, sku in zip(column("license_name"), skus)]
    names = list(labels)
    for i, name in enumerate(names):
        if names.count(name) > 1 and skus[i] and skus[i] != name:
            labels[i] = f"{name} ({skus[i]})"
    repeated = list(labels)
    for i, label in enumerate(repeated):
        if repeated.count(label) > 1:
            labels[i] = f"{label} · {tenants[i][:8]}" if tenants[i] else f"{label} #{i + 1}"
    return labels


def license_chart(licenses: pd.DataFrame, *, title: str = "Licenses", by: SortBy = "active") -> alt.LayerChart:
    """Per license (``reports.licenses`` rows of one organization), largest ``by`` first, each
    bar labelled with its ``by`` number."""
    frame = _counts(licenses).reset_index(drop=True)
    frame["license"] = license_labels(frame) if not frame.empty else []
    if not frame.empty:
        frame = frame.assign(_name=frame["license"].str.lower()).sort_values(
            [by, "_name"], ascending=[False, True], kind="stable").drop(columns="_name")
    order = frame["license"].tolist()
    return _stacked_bars(stacked_frame(frame, "license"), "license", order, title, "License", by)


def organization_page(summary: pd.DataFrame, page: int, size: int | None = None, *,
                      by: SortBy = "active") -> alt.LayerChart:
    """One page of every organization by ``by`` (``page`` from 1): at most ``size`` bars
    (default :data:`PAGE_SIZE`)."""
    size = size or PAGE_SIZE
    ranked = top_organizations(summary, None, by=by)
    total = len(ranked)
    first = max(page - 1, 0) * size
    rows = ranked.iloc[first:first + size]
    title = (f"Organizations {first + 1:,}–{first + len(rows):,} of {total:,} by {_SORT_TITLES[by]}"
             if total > size else f"Licenses per organization, by {_SORT_TITLES[by]}")
    return organization_chart(rows, None, title=title, by=by)
