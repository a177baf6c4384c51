"""The customer report: HTML (self-contained) and PDF (Unicode font) with the pages' numbers."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from o365lic import reports
from o365lic.cli import main
from o365lic.report import render_html, report_data, write_report
from o365lic.store import Store
from o365lic.store.prices import set_price
from tests.feature_tenants import Lic, Sub, running, sync_into, tenant

NAME = "Ærøskøbing Ελλάδα Москва <b>&"
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)


@pytest.fixture(scope="module")
def sim():
    with running([tenant(NAME, [Lic("SPE_E3", 30, 22), Lic("VISIOCLIENT", 5, 2)], [Sub("SPE_E3", SOON, total=30)]),
                  tenant("Other", [Lic("SPB", 7, 7)])]) as simulator:
        yield simulator


@pytest.fixture
def synced(sim, store: Store, db_path: Path) -> Store:
    sync_into(store, sim, db_path)
    set_price(store, "SPE_E3", "USD", "36")
    return store


def _expected_lines(store: Store) -> list[str]:
    t = reports.totals(store, organizations=[NAME])
    return [f"Active licenses: {t['active']}", f"Consumed: {t['consumed']}", f"Unused: {t['unused']}",
            f"Over-assigned: {t['over_assigned']}"]


def test_html_report_is_self_contained_and_has_the_pages_numbers(synced: Store, tmp_path: Path) -> None:
    path = write_report(synced, NAME.upper(), tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    for line in _expected_lines(synced):
        assert line in page
    assert "Active licenses: 35" in page                       # 30 + 5, the Global page's total
    assert "Ærøskøbing Ελλάδα Москва &lt;b&gt;&amp;" in page and "<b>&" not in page   # a name is text
    assert "USD 1,080.00" in page and "USD 288.00" in page     # 30 x 36 a month; 8 unused x 36
    assert "USD 3,456.00" in page                              # unused a year
    assert "Licenses with no price (not in the costs): 1 (5 seats, 3 unused)" in page
    assert SOON.strftime("%Y-%m-%d") in page and "renews, or expires" in page
    assert page.count("data:image/png;base64,") == 2            # both charts embedded
    assert not re.search(r"(src|href)=\"(https?:|//|/)", page) and "<script" not in page


def test_pdf_report_embeds_a_unicode_font_and_prints_every_name_and_number(synced: Store, tmp_path: Path) -> None:
    path = write_report(synced, NAME, tmp_path / "r.pdf")
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Ærøskøbing Ελλάδα Москва <b>&" in text
    for line in _expected_lines(synced):
        assert line in text
    assert "USD 1,080.00" in text and "Microsoft 365 E3" in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descendant = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()
    assert "DejaVu" in str(descendant["/BaseFont"]) and "/FontFile2" in descendant["/FontDescriptor"]
    assert len(reader.pages) >= 2                               # the charts follow the tables


def test_change_since_last_month_is_in_the_report(synced: Store, sim, db_path: Path) -> None:
    data = report_data(synced, NAME, charts=False)
    assert (data.generated_at - data.since).days in (28, 29, 30, 31)
    assert data.changes.set_index("sku_part_number").loc["SPE_E3", "active_now"] == 30
    assert data.changes.set_index("sku_part_number").loc["SPE_E3", "active_then"] == 0   # first synced today
    assert "Change since" in render_html(data)


def test_report_command_writes_one_or_all_and_refuses_a_bad_request(synced: Store, sim, db_path: Path,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()

    code, out, _ = run("report", "--organization", "other", "--out", str(tmp_path / "o.pdf"))
    assert code == 0 and (tmp_path / "o.pdf").read_bytes().startswith(b"%PDF")
    code, out, _ = run("report", "--all", "--out", str(tmp_path / "all"))
    assert code == 0 and "2 reports written" in out
    assert sorted(p.suffix for p in (tmp_path / "all").iterdir()) == [".pdf", ".pdf"]
    code, _, err = run("report", "--organization", "Other", "--out", str(tmp_path / "o.docx"))
    assert code == 1 and ".html or .pdf" in err and not (tmp_path / "o.docx").exists()
    code, _, err = run("report", "--organization", "Nobody", "--out", str(tmp_path / "n.pdf"))
    assert code == 1 and "no organization named 'Nobody'" in err
    assert run("report", "--out", str(tmp_path / "x.pdf"))[0] == 2
    assert "Traceback" not in err
