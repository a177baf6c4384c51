"""The customer report of one organization: what it has, what it costs, what renews, what moved.

:func:`report_data` gathers the numbers (the same reads as the pages), :func:`render_html`
writes one self-contained HTML file with the charts embedded as PNG images, and
:mod:`o365lic.report_pdf` the PDF. Names from tenants are escaped: they are text, never markup.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from o365lic import reports
from o365lic.cost_reports import license_costs
from o365lic.costs import NO_PRICE, cost_totals, money, unpriced_summary
from o365lic.export import iso_utc
from o365lic.history import change_since, trend
from o365lic.renewals import renewals
from o365lic.store import LOCAL_ADMINISTRATOR, Store, Viewer, organization_named

if TYPE_CHECKING:  # altair is imported when a chart is drawn: the command line starts faster
    import altair as alt

__all__ = [
    "REPORT_RENEWAL_DAYS",
    "ReportData",
    "ReportError",
    "ReportFormat",
    "render_html",
    "report_bytes",
    "report_data",
    "report_filename",
    "resolve_organization",
    "write_all_reports",
    "write_report",
]

ReportFormat = Literal["html", "pdf"]
REPORT_RENEWAL_DAYS = 90


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says why."""


@dataclass
class ReportData:
    """Everything a report shows, read once."""

    organization: str
    generated_at: datetime
    since: datetime
    totals: dict[str, float]
    licenses: pd.DataFrame
    cost_totals: pd.DataFrame
    unpriced: dict[str, int]
    renewals: pd.DataFrame
    changes: pd.DataFrame
    charts: dict[str, bytes] = field(default_factory=dict)


def resolve_organization(store: Store, name: str) -> str:
    """The organization's exact name (:func:`~o365lic.store.organization_named`), else ReportError."""
    found = organization_named(store, name)
    if found is None:
        raise ReportError(f"no organization named {name!r}")
    return found


def _png(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert

    try:
        return bytes(vl_convert.vegalite_to_png(chart.to_json(), scale=1.5))
    except (ValueError, RuntimeError) as exc:  # what vl-convert raises on a bad spec
        raise ReportError(f"a chart of the report could not be drawn: {exc}") from None


def report_data(store: Store, organization: str, *, now: datetime | None = None,
                charts: bool = True, viewer: Viewer = LOCAL_ADMINISTRATOR) -> ReportData:
    """The numbers of one organization's report (what ``viewer`` may see); "since" is one
    month before ``now``."""
    name = resolve_organization(store, organization)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    since = (pd.Timestamp(moment) - pd.DateOffset(months=1)).to_pydatetime()
    table = license_costs(store, reports.LicenseFilter.of([name], viewer=viewer))
    data = ReportData(
        organization=name, generated_at=moment, since=since,
        totals=reports.totals(store, organizations=[name], viewer=viewer), licenses=table,
        cost_totals=cost_totals(table), unpriced=unpriced_summary(table),
        renewals=renewals(store, days=REPORT_RENEWAL_DAYS, organizations=[name], now=moment, include_free=False,
                          viewer=viewer),
        changes=change_since(store, since, organizations=[name], viewer=viewer),
    )
    if charts and not table.empty:
        from o365lic.charts import license_chart
        from o365lic.insight_charts import trend_chart

        data.charts["Licenses"] = _png(license_chart(table, title="Licenses"))
        series = trend(store, "organization", organizations=[name], viewer=viewer)
        if len(series):  # the last state holds until now: draw it up to the report's moment
            last = series.iloc[[-1]].assign(taken_at=pd.Timestamp(moment))
            data.charts["Trend"] = _png(trend_chart(pd.concat([series, last], ignore_index=True)))
    return data


def _cells(values: list[object]) -> str:
    return "".join(f"<td>{html.escape(str(v))}</td>" for v in values)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{_cells(r)}</tr>" for r in rows) or \
        f"<tr><td colspan=\"{len(headers)}\">none</td></tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def license_rows(data: ReportData) -> list[list[object]]:
    """The per-license table of the report, as text cells (shared by HTML and PDF)."""
    rows = []
    for r in data.licenses.itertuples(index=False):
        rows.append([r.license_name or r.sku_part_number, r.sku_part_number or "", r.status or "",
                     int(r.active), int(r.consumed), int(r.unused),
                     money(r.monthly_price, r.currency), money(r.monthly_cost, r.currency),
                     money(r.unused_monthly_cost, r.currency), money(r.unused_annual_cost, r.currency)])
    return rows


LICENSE_HEADERS = ["License", "SKU", "Status", "Active", "Consumed", "Unused", "Monthly price",
                   "Monthly cost", "Unused monthly cost", "Unused annual cost"]
RENEWAL_HEADERS = ["Date (UTC)", "License", "Status", "Licenses", "Trial", "What happens", "SKU unused"]
CHANGE_HEADERS = ["License", "Active then", "Active now", "Change", "Consumed then", "Consumed now"]


def renewal_rows(data: ReportData) -> list[list[object]]:
    """The upcoming renewals, as text cells."""
    return [[iso_utc(r.next_lifecycle)[:10], r.license_name, r.status or "", int(r.total_licenses or 0),
             "yes" if r.is_trial else "no", r.event, "" if pd.isna(r.sku_unused) else int(r.sku_unused)]
            for r in data.renewals.itertuples(index=False)]


def change_rows(data: ReportData) -> list[list[object]]:
    """The change since last month, as text cells."""
    return [[r.license_name, int(r.active_then), int(r.active_now), f"{int(r.active_change):+d}",
             int(r.consumed_then), int(r.consumed_now)] for r in data.changes.itertuples(index=False)]


def summary_lines(data: ReportData) -> list[str]:
    """The headline figures, one sentence each (costs one line per currency)."""
    t = data.totals
    lines = [f"Active licenses: {int(t['active'])}", f"Consumed: {int(t['consumed'])}",
             f"Unused: {int(t['unused'])}", f"Over-assigned: {int(t['over_assigned'])}"]
    for r in data.cost_totals.itertuples(index=False):
        lines.append(f"Monthly cost: {money(r.monthly_cost, r.currency)} (annual {money(r.annual_cost, r.currency)})")
        lines.append(f"Cost of unused seats: {money(r.unused_monthly_cost, r.currency)} a month "
                     f"({money(r.unused_annual_cost, r.currency)} a year)")
    if data.unpriced["licenses"]:
        lines.append(f"Licenses with {NO_PRICE} (not in the costs): {data.unpriced['licenses']} "
                     f"({data.unpriced['active']} seats, {data.unpriced['unused']} unused)")
    return lines


_STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:90%;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#eef3fa}img{max-width:100%}h1{margin-bottom:0}.muted{color:#666}"""


def render_html(data: ReportData) -> str:
    """One self-contained HTML document: no external files, charts as data: URLs."""
    e = html.escape
    parts = [(f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Microsoft 365 licenses: "
              f"{e(data.organization)}</title><style>{_STYLE}</style></head><body>"),
             f"<h1>Microsoft 365 licenses: {e(data.organization)}</h1>",
             f"<p class=\"muted\">Report of {e(iso_utc(data.generated_at))}</p>",
             "<h2>Totals</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in summary_lines(data)) + "</ul>",
             "<h2>Licenses</h2>" + _table(LICENSE_HEADERS, license_rows(data)),
             f"<h2>Upcoming renewals (next {REPORT_RENEWAL_DAYS} days)</h2>"
             + _table(RENEWAL_HEADERS, renewal_rows(data)),
             f"<h2>Change since {e(iso_utc(data.since)[:10])}</h2>" + _table(CHANGE_HEADERS, change_rows(data))]
    for title, png in data.charts.items():
        parts.append(f"<h2>{e(title)}</h2><img alt=\"{e(title)} chart\" "
                     f"src=\"data:image/png;base64,{base64.b64encode(png).decode('ascii')}\">")
    parts.append("</body></html>")
    return "\n".join(parts)


def report_bytes(store: Store, organization: str, fmt: ReportFormat, *, now: datetime | None = None,
                 viewer: Viewer = LOCAL_ADMINISTRATOR) -> bytes:
    """The report of one organization as an HTML or PDF file's bytes (the page's download)."""
    data = report_data(store, organization, now=now, viewer=viewer)
    if fmt == "html":
        return render_html(data).encode("utf-8")
    from o365lic.report_pdf import render_pdf

    return render_pdf(data)


def report_filename(organization: str, fmt: ReportFormat) -> str:
    """A safe file name for an organization's report (``contoso-licenses.pdf``)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", organization).strip("-").lower()[:60] or "organization"
    return f"{slug}-licenses.{fmt}"


def _format_of(path: Path) -> ReportFormat:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise ReportError(f"{path.name}: the report is written as .html or .pdf; name the file with one of them")


def write_report(store: Store, organization: str, path: Path, *, now: datetime | None = None) -> Path:
    """Write one organization's report to ``path``; the format follows the extension."""
    content = report_bytes(store, organization, _format_of(path), now=now)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_all_reports(store: Store, folder: Path, fmt: ReportFormat = "pdf", *,
                      now: datetime | None = None) -> list[Path]:
    """One report per organization with licenses, in ``folder``; returns the files."""
    written: list[Path] = []
    taken: set[str] = set()
    for name in reports.organization_names(store):
        filename = report_filename(name, fmt)
        while filename in taken:
            filename = filename.replace("-licenses.", "-1-licenses.", 1)
        taken.add(filename)
        written.append(write_report(store, name, folder / filename, now=now))
    return written
