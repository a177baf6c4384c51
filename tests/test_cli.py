"""The command line: demo mode, exit codes, tenants add/import/list, export."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from o365lic.cli import main
from o365lic.simulator import Fault, Simulator

REPO = Path(__file__).resolve().parents[1]
HEADER = "Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def against(sim: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """Configure the CLI for the simulator the way one configures it for Microsoft."""
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("O365LIC_AUTHORITY_HOST", sim.authority_host)
    monkeypatch.setenv("O365LIC_GRAPH_URL", sim.graph_url)
    monkeypatch.setenv("O365LIC_CA_BUNDLE", sim.ca_file)
    monkeypatch.setenv("O365LIC_PARTNER_TENANT", sim.partner_tenant_id)
    return sim


def test_demo_mode_sync_and_export_from_a_fresh_checkout(tmp_path: Path) -> None:
    """`python -m o365lic sync` then `export`, as the README says, in a fresh folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("O365LIC_")}
    env["PYTHONPATH"] = str(REPO)
    sync = subprocess.run([sys.executable, "-m", "o365lic", "sync"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert sync.returncode == 0, sync.stderr
    lines = [line for line in sync.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 6 and all(" OK " in line for line in lines)
    assert "6 tenants synced, 0 failed" in sync.stdout
    assert (tmp_path / "data" / "o365lic.duckdb").is_file()
    export = subprocess.run([sys.executable, "-m", "o365lic", "export"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    rows = list(csv.reader(io.StringIO(export.stdout)))
    assert ",".join(rows[0]) == HEADER
    assert len({r[0] for r in rows[1:]}) == 6


def test_help_explains_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "o365lic", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for word in ("tenants", "sync", "export", "simulate", "demo mode"):
        assert word in result.stdout


def test_sync_exit_code_is_1_when_a_tenant_fails_and_the_others_land(against: Simulator) -> None:
    tenants = list(against.tenants.values())
    for tenant in tenants:
        assert run("tenants", "add", tenant.domains[0], "--organization", tenant.display_name)[0] == 0
    against.add_fault(tenants[0].tenant_id, Fault("signin_failure", times=None))
    code, out, _ = run("sync")
    assert code == 1
    assert out.count("OK ") == len(tenants) - 1 and out.count("ERROR ") == 1
    assert against.client_secret not in out
    against.clear_faults()
    code, out, _ = run("sync", "--tenant", tenants[0].tenant_id)
    assert code == 0 and "1 tenants synced, 0 failed" in out
    code, out, _ = run("tenants", "list")
    assert code == 0 and out.count(" OK ") == len(tenants)


def test_tenants_add_refuses_bad_input_and_saves_nothing(against: Simulator, db_path: Path) -> None:
    code, _, err = run("tenants", "add", "not a tenant!!", "--organization", "Contoso")
    assert code == 1 and "is not a tenant id" in err
    code, _, err = run("tenants", "add", "00000000-0000-0000-0000-000000000001", "--organization", "Contoso")
    assert code == 1 and "does not know this tenant" in err
    code, out, _ = run("tenants", "list")
    assert "no tenants connected" in out
    from o365lic.store import Store

    assert Store(db_path).scalar("SELECT count(*) FROM organizations") == 0


def test_tenants_import_reports_bad_rows_by_line(against: Simulator, tmp_path: Path) -> None:
    tenants = list(against.tenants.values())
    file = tmp_path / "tenants.csv"
    file.write_text(
        "tenant_id,organization\n"
        f"{tenants[0].tenant_id},{tenants[0].display_name}\n"
        "garbage!,Nobody\n"
        f"{tenants[1].domains[0]},Second Org\n"
        f"{tenants[0].tenant_id},Again\n"
    )
    code, out, err = run("tenants", "import", str(file))
    assert code == 1
    assert "2 tenants added, 2 rows refused" in out
    assert "line 3" in err and "is not a tenant id" in err
    assert "line 5" in err and "already connected" in err
    assert "Second Org" in run("tenants", "list")[1]


def test_export_one_organization_to_a_file(against: Simulator, tmp_path: Path) -> None:
    tenants = list(against.tenants.values())
    for tenant in tenants:
        run("tenants", "add", tenant.tenant_id, "--organization", tenant.display_name)
    assert run("sync")[0] == 0
    out_file = tmp_path / "out" / "one.csv"
    code, _, err = run("export", "--organization", tenants[1].display_name.upper(), "--out", str(out_file))
    assert code == 0 and "written to" in err
    rows = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert ",".join(rows[0]) == HEADER
    assert rows[1:] and {r[0] for r in rows[1:]} == {tenants[1].display_name}
    assert {r[1] for r in rows[1:]} == {tenants[1].tenant_id}
    code, _, err = run("export", "--organization", "No Such Org")
    assert code == 1 and "no organization named" in err


def test_discover_lists_the_partners_customers(against: Simulator) -> None:
    code, out, _ = run("tenants", "discover")
    assert code == 0
    for tenant_id in against.tenants:
        assert tenant_id in out


def test_bad_configuration_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365LIC_CONCURRENCY", "lots")
    code, _, err = run("sync")
    assert code == 2 and "O365LIC_CONCURRENCY" in err


def test_discover_match_pause_and_sync_due(against: Simulator) -> None:
    ids = list(against.tenants)
    assert run("tenants", "discover")[0] == 0
    code, out, _ = run("sync")
    assert code == 0 and "nothing to sync" in out  # every discovered tenant is still unmatched
    assert run("tenants", "match", ids[0], ids[1], "--create")[0] == 0
    assert run("tenants", "match", ids[2], "--ignore")[0] == 0
    code, _, err = run("tenants", "match", ids[3], "--accept")
    assert code == 1 and "no suggested match" in err
    assert run("tenants", "pause", ids[1])[0] == 0
    code, out, _ = run("sync", "--due")
    assert code == 0 and "1 tenants synced, 0 failed" in out
    code, out, _ = run("sync", "--due")
    assert "nothing to sync (no tenant is due)" in out
    code, out, _ = run("tenants", "list")
    assert "ignored" in out and "unmatched" in out and "Paused" in out
    assert run("tenants", "interval", ids[0], "--minutes", "0")[0] == 1
