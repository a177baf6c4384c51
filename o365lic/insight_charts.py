"""Altair charts of costs and trends: a DataFrame in, a chart out (no Streamlit, no I/O).

Money charts are per currency: one chart holds one currency, never a sum across currencies.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from o365lic.charts import DEFAULT_TOP, ROW_HEIGHT

__all__ = ["trend_chart", "unused_cost_chart"]


def unused_cost_chart(by_organization: pd.DataFrame, currency: str, top: int | None = DEFAULT_TOP) -> alt.Chart:
    """The monthly cost of unused seats per organization in one currency, costliest first:
    the first ``top`` (None = all). ``by_organization`` is
    :func:`o365lic.costs.unused_cost_by_organization`'s table."""
    rows = by_organization[by_organization["currency"] == currency]
    rows = rows.sort_values(["unused_monthly_cost", "organization"], ascending=[False, True])
    total = len(rows)
    if top is not None:
        rows = rows.head(max(int(top), 0))
    title = (f"Top {len(rows)} of {total} organizations by cost of unused seats ({currency} a month)"
             if len(rows) < total else f"Cost of unused seats per organization ({currency} a month)")
    frame = rows.assign(organization=rows["organization"].astype(str))
    return alt.Chart(frame, title=title).mark_bar(color="#a8c8ec").encode(
        y=alt.Y("organization:N", sort=frame["organization"].tolist(), title="Organization"),
        x=alt.X("unused_monthly_cost:Q", title=f"{currency} a month"),
        tooltip=[alt.Tooltip("organization:N", title="Organization"),
                 alt.Tooltip("unused_monthly_cost:Q", title=f"Unused, {currency} a month", format=",.2f"),
                 alt.Tooltip("unused_annual_cost:Q", title=f"Unused, {currency} a year", format=",.2f"),
                 alt.Tooltip("unused:Q", title="Unused seats")],
    ).properties(height=alt.Step(ROW_HEIGHT))


def trend_chart(series: pd.DataFrame, *, title: str = "Active and Consumed over time",
                by: str | None = None) -> alt.Chart:
    """Active and Consumed over time from :func:`o365lic.history.trend` (a step line: each
    value holds until the next sync changed it); ``by`` (e.g. "license_name") splits the lines."""
    keep = ["taken_at"] + ([by] if by else [])
    long = series.melt(id_vars=keep, value_vars=["active", "consumed"], var_name="measure", value_name="licenses")
    long["measure"] = long["measure"].map({"active": "Active", "consumed": "Consumed"})
    long["taken_at"] = pd.to_datetime(long["taken_at"], utc=True).dt.tz_localize(None)
    encoding = {
        "x": alt.X("taken_at:T", title="Synced (UTC)", axis=alt.Axis(format="%d %b %H:%M", labelAngle=0)),
        "y": alt.Y("licenses:Q", title="Licenses"),
        "color": alt.Color(f"{by}:N", title=None) if by else alt.Color("measure:N", title=None),
        "tooltip": [alt.Tooltip("taken_at:T", title="Synced (UTC)", format="%Y-%m-%d %H:%M"),
                    alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("licenses:Q", title="Licenses")],
    }
    if by:
        encoding["strokeDash"] = alt.StrokeDash("measure:N", title=None)
    return alt.Chart(long, title=title).mark_line(point=True, interpolate="step-after").encode(
        **encoding).properties(width=560, height=240)
