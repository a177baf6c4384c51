"""The command line's downloads: export --format xlsx (with --costs), reclaimable, overlaps,
the plain CSV unchanged, and sync --tenant with an input that names no tenant."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from o365lic import insights
from o365lic.cli import main
from o365lic.store import Store

HEADER = "Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced"
HOSTILE = "=cmd|' /C calc'!A0"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Demo mode (no app registration) with the demo tenants synced; Contoso renamed to a
    name a spreadsheet would run as a formula. Yields the working folder."""
    folder = tmp_path_factory.mktemp("cli-downloads")
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("O365LIC_")]:
            patch.delenv(key)
        patch.setenv("O365LIC_DB", str(folder / "o365lic.duckdb"))
        patch.chdir(folder)
        code, _, err = run("sync")
        assert code == 0, err
        with Store(folder / "o365lic.duckdb").transaction() as con:
            con.execute("UPDATE organizations SET name = ? WHERE name = 'Contoso'", [HOSTILE])
        yield folder


def _store(demo: Path) -> Store:
    return Store(demo / "o365lic.duckdb")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_export_xlsx_without_out_is_refused_and_writes_nothing(demo: Path) -> None:
    before = sorted(demo.iterdir())
    code, out, err = run("export", "--format", "xlsx")
    assert code == 2 and out == ""
    assert err.startswith("error: --format xlsx writes a file: add --out FILE") and err.count("\n") == 1
    assert "Traceback" not in err and sorted(demo.iterdir()) == before
    assert run("reclaimable", "--format", "xlsx")[0] == 2


def test_export_xlsx_reopens_with_numbers_dates_and_text_as_text(demo: Path) -> None:
    path = demo / "out" / "licenses.xlsx"
    code, _, err = run("export", "--format", "xlsx", "--out", str(path))
    assert code == 0, err
    sheet = openpyxl.load_workbook(path)["Licenses"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:8] == HEADER.split(",")[:8] and "Over-assigned" in header and "Free / trial" in header
    rows = list(sheet.iter_rows(min_row=2))
    _, plain, _ = run("export")
    assert len(rows) == len(plain.splitlines()) - 1 and f"{len(rows)} licenses written" in err  # free included
    column = {name: i for i, name in enumerate(header)}
    for row in rows:
        for name in ("Active", "Consumed", "Unused", "Over-assigned"):
            assert row[column[name]].data_type == "n" and isinstance(row[column[name]].value, int)
        assert row[column["Last Synced (UTC)"]].is_date
        assert isinstance(row[column["Last Synced (UTC)"]].value, datetime)
    hostile = [r[column["Organization"]] for r in rows if r[column["Organization"]].value == HOSTILE]
    assert hostile and all(c.data_type == "s" for c in hostile)
    without = demo / "paid.xlsx"
    assert run("export", "--format", "xlsx", "--without-free", "--out", str(without))[0] == 0
    assert openpyxl.load_workbook(without)["Licenses"].max_row < sheet.max_row


def test_export_xlsx_with_costs_has_prices_as_numbers(demo: Path) -> None:
    path = demo / "costs.xlsx"
    code, _, err = run("export", "--costs", "--format", "xlsx", "--out", str(path))
    assert code == 0, err
    sheet = openpyxl.load_workbook(path)["License costs"]
    header = [c.value for c in sheet[1]]
    assert header[:11] == ["Organization", "Tenant ID", "License", "SKU", "Active", "Consumed", "Unused",
                           "Over-assigned", "Currency", "Monthly Price", "Monthly Cost"]
    prices = [row[header.index("Monthly Price")] for row in sheet.iter_rows(min_row=2)]
    priced = [c for c in prices if c.value is not None]
    assert priced and all(c.data_type == "n" and isinstance(c.value, (int, float)) for c in priced)


def test_out_folder_names_the_file_with_the_organization_and_date(demo: Path) -> None:
    folder = demo / "downloads"
    folder.mkdir()
    assert run("export", "--format", "xlsx", "--organization", "woodgrove bank", "--out", str(folder))[0] == 0
    assert run("reclaimable", "--out", str(folder))[0] == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"Office 365 Licenses - Woodgrove Bank - {_today()}.xlsx",
                     f"Reclaimable licenses - {_today()}.csv"]


def test_the_plain_csv_keeps_its_header_and_no_byte_order_mark(demo: Path) -> None:
    path = demo / "plain.csv"
    assert run("export", "--out", str(path))[0] == 0
    data = path.read_bytes()
    assert data.startswith((HEADER + "\r\n").encode())
    assert f"'{HOSTILE}".encode() in data


def test_reclaimable_and_overlaps_print_guarded_csv(demo: Path) -> None:
    store = _store(demo)
    code, out, err = run("reclaimable")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["Organization", "User", "User Principal Name", "License", "SKU", "Account Disabled"]
    expected = insights.reclaimable_licenses(store)
    assert len(rows) - 1 == len(expected) > 0 and f"{len(expected)} licenses assigned to disabled accounts" in err
    assert {r[0] for r in rows[1:]} >= {f"'{HOSTILE}"}  # Contoso's disabled holders, guarded
    assert not any(r[0].startswith("=") for r in rows[1:])
    code, out, err = run("overlaps", "--organization", "Woodgrove Bank")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][-1] == "Reason"
    assert len(rows) - 1 == len(insights.overlapping_licenses(store, organizations=["Woodgrove Bank"])) > 0
    assert {r[0] for r in rows[1:]} == {"Woodgrove Bank"}
    path = demo / "overlaps.xlsx"
    assert run("overlaps", "--format", "xlsx", "--out", str(path))[0] == 0
    sheet = openpyxl.load_workbook(path)["Overlapping licenses"]
    assert sheet.max_row - 1 == len(insights.overlapping_licenses(store)) and sheet.freeze_panes == "A2"


def test_every_organization_option_finds_the_name_however_it_is_typed(demo: Path) -> None:
    """One look-up for every command: any case, and spaces around or doubled."""
    typed = "  woodgrove   BANK "
    for argv in (("export",), ("export", "--costs"), ("renewals", "--days", "3650"), ("overlaps",),
                 ("history", "--since", "2020-01-01"), ("export", "--format", "xlsx", "--out",
                                                         str(demo / "typed.xlsx"))):
        code, out, err = run(*argv, "--organization", typed)
        assert code == 0, (argv, err)
        if "--out" not in argv:
            rows = list(csv.reader(io.StringIO(out)))
            assert {r[0] for r in rows[1:]} <= {"Woodgrove Bank"}, argv
    assert openpyxl.load_workbook(demo / "typed.xlsx").active.cell(2, 1).value == "Woodgrove Bank"


def test_an_unknown_organization_is_one_line(demo: Path) -> None:
    code, out, err = run("reclaimable", "--organization", "Nobody GmbH")
    assert code == 1 and out == ""
    assert err.startswith("error: no organization named 'Nobody GmbH'") and err.count("\n") == 1


@pytest.mark.parametrize("tenant, words", [
    ("garbage", "is neither a tenant id"),
    ("garbage.example.com", "no connected tenant has this id or domain"),
])
def test_sync_of_a_tenant_that_is_not_there_names_the_input_and_syncs_nothing(
        demo: Path, tenant: str, words: str) -> None:
    store = _store(demo)
    runs = store.scalar("SELECT count(*) FROM sync_runs")
    code, out, err = run("sync", "--tenant", tenant, "--tenant", "contoso.onmicrosoft.com")
    assert code == 1 and out == ""
    assert err.startswith(f"error: --tenant {tenant}" if "." in tenant else f"error: --tenant '{tenant}'")
    assert words in err and "tenants list" in err and "?" not in err and err.count("\n") == 1
    assert store.scalar("SELECT count(*) FROM sync_runs") == runs


def test_export_help_says_the_default_is_the_complete_dump(demo: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "complete data dump for scripts" in text and "free, viral and trial SKUs included" in text
    assert "--without-free" in text and "--format xlsx --out FILE" in text


def test_a_workbook_that_cannot_be_written_is_one_line(demo: Path) -> None:
    blocker = demo / "a-file"
    blocker.write_text("x")
    code, out, err = run("export", "--format", "xlsx", "--out", str(blocker / "licenses.xlsx"))
    assert code == 1 and out == ""
    assert err.startswith(f"error: cannot write {blocker / 'licenses.xlsx'}:") and err.count("\n") == 1
    assert "Traceback" not in err and blocker.read_text() == "x"
