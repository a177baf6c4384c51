"""The customer report as a PDF (fpdf2), with an embedded Unicode font so every name prints.

The font is DejaVu Sans from Debian's ``fonts-dejavu-core`` package (on the project's
machines; ``apt-get install fonts-dejavu-core`` elsewhere), embedded (subset) into the PDF.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.errors import FPDFException

from o365lic.export import iso_utc
from o365lic.report import (
    CHANGE_HEADERS,
    LICENSE_HEADERS,
    RENEWAL_HEADERS,
    REPORT_RENEWAL_DAYS,
    ReportData,
    ReportError,
    change_rows,
    license_rows,
    renewal_rows,
    summary_lines,
)

__all__ = ["FONT_CANDIDATES", "font_path", "render_pdf"]

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def font_path() -> Path:
    """The Unicode TrueType font the PDF embeds, else ReportError saying how to get it."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise ReportError("the PDF report needs the DejaVu Sans font: install the package fonts-dejavu-core "
                      "(or write the report as .html)")


def _table(pdf: FPDF, headers: list[str], rows: list[list[object]], widths: tuple[int, ...]) -> None:
    if not rows:
        pdf.cell(0, 6, "none", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    pdf.set_font("DejaVu", size=7)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        table.row([str(h) for h in headers])
        for row in rows:
            table.row([str(v) for v in row])
    pdf.set_font("DejaVu", size=10)
    pdf.ln(3)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", size=13)
    pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4 landscape)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Microsoft 365 licenses: {data.organization}")
    pdf.set_auto_page_break(auto=True, margin=12)
    regular = font_path()
    bold = regular.with_name("DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", fname=str(regular))
    pdf.add_font("DejaVu", style="B", fname=str(bold if bold.is_file() else regular))
    pdf.add_page()
    pdf.set_font("DejaVu", size=17)
    pdf.multi_cell(0, 9, f"Microsoft 365 licenses: {data.organization}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.cell(0, 6, f"Report of {iso_utc(data.generated_at)}", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Totals")
    for line in summary_lines(data):
        pdf.cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _heading(pdf, "Licenses")
    _table(pdf, LICENSE_HEADERS, license_rows(data), (46, 34, 18, 14, 16, 14, 28, 30, 30, 30))
    _heading(pdf, f"Upcoming renewals (next {REPORT_RENEWAL_DAYS} days)")
    _table(pdf, RENEWAL_HEADERS, renewal_rows(data), (22, 52, 20, 16, 12, 120, 18))
    _heading(pdf, f"Change since {iso_utc(data.since)[:10]}")
    _table(pdf, CHANGE_HEADERS, change_rows(data), (80, 30, 30, 25, 30, 30))
    for title, png in data.charts.items():
        pdf.add_page()
        _heading(pdf, title)
        pdf.image(io.BytesIO(png), w=250)
    try:
        return bytes(pdf.output())
    except (FPDFException, ValueError) as exc:
        raise ReportError(f"the PDF could not be written: {exc}") from None
