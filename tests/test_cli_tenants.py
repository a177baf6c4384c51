"""The CLI's tenant commands: a TENANT may be a verified domain, what `tenants list` shows,
names fit for a terminal, and the audit log of what was changed from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from o365lic.simulator import Simulator
from o365lic.store import (
    Store,
    add_group,
    get_integration,
    list_integrations,
    start_runs,
)
from tests.test_cli_errors import configure, run


@pytest.fixture
def cli(sim: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    configure(monkeypatch, sim, db_path)
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    return sim


def audit_rows() -> list[dict[str, str]]:
    code, out, err = run("audit")
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def test_every_tenant_command_accepts_a_verified_domain_without_asking_microsoft(
    cli: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = list(cli.tenants.values())[:2]
    for tenant in (first, second):
        assert run("tenants", "add", tenant.domains[0], "--organization", tenant.display_name)[0] == 0
    assert run("sync", "--tenant", first.tenant_id)[0] == 0  # learns the verified domains
    store = Store(db_path)
    verified = [d for d in get_integration(store, first.tenant_id).verified_domains if d != first.domains[0]]
    # from here on the sign-in service is unreachable: stored domains must suffice
    monkeypatch.setenv("O365LIC_AUTHORITY_HOST", "https://127.0.0.1:9")
    domain = first.domains[0].upper()
    assert run("tenants", "pause", domain)[0] == 0
    assert get_integration(store, first.tenant_id).paused
    assert run("tenants", "resume", domain)[0] == 0
    assert run("tenants", "interval", domain, second.domains[0], "--minutes", "15")[0] == 0
    assert {get_integration(store, t.tenant_id).sync_interval_minutes for t in (first, second)} == {15}
    assert run("tenants", "match", second.domains[0], "--ignore")[0] == 0
    assert get_integration(store, second.tenant_id).match_state == "ignored"
    assert run("tenants", "match", second.domains[0], "--revert")[0] == 0
    code, out, err = run("disconnect", (verified or [domain])[0], "--keep-data")
    assert code == 0, err
    assert first.tenant_id in out
    assert first.tenant_id not in {i.tenant_id for i in list_integrations(store)}
    code, _, err = run("tenants", "pause", "nobody-here.onmicrosoft.com")
    assert code == 1 and "could not reach" in err and len(err.splitlines()) == 1


def test_a_domain_not_stored_is_resolved_with_microsoft(cli: Simulator, db_path: Path) -> None:
    tenant = next(iter(cli.tenants.values()))
    assert run("tenants", "add", tenant.tenant_id, "--organization", "By Id")[0] == 0
    assert get_integration(Store(db_path), tenant.tenant_id).default_domain is None
    assert run("tenants", "pause", tenant.domains[0])[0] == 0
    assert get_integration(Store(db_path), tenant.tenant_id).paused
    code, _, err = run("tenants", "pause", "not a domain!")
    assert code == 1 and "is not a tenant id" in err


def test_tenants_list_shows_the_columns_its_help_promises(cli: Simulator, db_path: Path) -> None:
    tenants = list(cli.tenants.values())
    assert run("tenants", "add", tenants[0].tenant_id, "--organization", "Listed")[0] == 0
    assert run("tenants", "discover")[0] == 0
    assert run("tenants", "interval", tenants[0].tenant_id, "--minutes", "30")[0] == 0
    code, out, _ = run("tenants", "list")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["ORGANIZATION", "TENANT", "ID", "MATCH", "STATUS", "LAST", "SYNC", "(UTC)",
                              "SYNC", "LICENSES", "INTERVAL"]
    row = next(x for x in lines if tenants[0].tenant_id in x)
    assert row.startswith("Listed ") and " matched " in row and "Never synced" in row and "yes" in row
    assert row.endswith("30 min")
    unmatched = next(x for x in lines if tenants[1].tenant_id in x)
    assert " unmatched " in unmatched and f"({tenants[1].display_name})" in unmatched


def test_tenants_list_help_explains_its_columns(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("tenants", "list", "--help")
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ("MATCH (matched, unmatched or ignored)", "SYNC LICENSES (yes: a sync updates the tenant's licenses",
                  "LAST SYNC (UTC)", "Never synced"):
        assert words in text


def test_a_sync_killed_mid_run_shows_error_interrupted(cli: Simulator, db_path: Path) -> None:
    tenant = next(iter(cli.tenants.values()))
    assert run("tenants", "add", tenant.tenant_id, "--organization", "Killed")[0] == 0
    store = Store(db_path)
    integration_id = get_integration(store, tenant.tenant_id).id
    start_runs(store, [(integration_id, tenant.tenant_id)], "cli")  # then SIGKILL
    assert get_integration(store, tenant.tenant_id).status == "Syncing..."
    code, out, _ = run("tenants", "list")
    assert code == 0
    row, error = [x for x in out.splitlines() if tenant.tenant_id in x or "last error" in x]
    assert " Error " in row and "Syncing" not in row
    assert "interrupted" in error


def test_names_printed_to_the_terminal_have_no_control_characters(
    cli: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = next(iter(cli.tenants.values()))
    code, out, _ = run("tenants", "add", tenant.tenant_id, "--organization", "Red\x1b[31m Team\x00\x07")
    assert code == 0 and out.strip().endswith("to Red Team")

    def hostile(settings: object) -> list[dict[str, str]]:
        return [{"tenant_id": "44444444-4444-4444-4444-444444444444", "domain": "x\x1b[2J.example",
                 "name": "\x1b]0;owned\x07Clear\x1b[8m Name"}]

    monkeypatch.setattr("o365lic.cli.tenants.discover_tenants", hostile)
    code, out, _ = run("tenants", "discover")
    assert code == 0 and "Clear Name" in out
    code, listed, _ = run("tenants", "list")
    for text in (out, listed, run("audit")[1]):
        assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    code, _, err = run("tenants", "add", "55555555-5555-5555-5555-555555555555", "--organization", "\x1b[0m\x00")
    assert code == 1 and "printable" in err


def test_the_audit_command_prints_who_changed_what(cli: Simulator, db_path: Path) -> None:
    tenant = next(iter(cli.tenants.values()))
    assert run("tenants", "add", tenant.domains[0], "--organization", "Audited Org")[0] == 0
    assert run("tenants", "interval", tenant.tenant_id, "--minutes", "15")[0] == 0
    assert run("tenants", "pause", tenant.tenant_id)[0] == 0
    assert run("tenants", "pause", tenant.tenant_id)[0] == 0  # already paused: nothing changes
    assert run("tenants", "resume", tenant.tenant_id)[0] == 0
    assert run("disconnect", tenant.tenant_id, "--keep-data")[0] == 0
    rows = audit_rows()
    assert list(rows[0]) == ["When", "Who", "Action", "Target", "Detail"]
    subject = f"tenant {tenant.tenant_id} (Audited Org)"
    assert [(r["Who"], r["Action"], r["Target"], r["Detail"]) for r in rows] == [
        ("cli:alice", "disconnect (keep data)", subject, rows[0]["Detail"]),
        ("cli:alice", "resume", subject, "sync resumed"),
        ("cli:alice", "pause", subject, "sync paused"),
        ("cli:alice", "interval", subject, "interval 60 → 15 minutes"),
        ("cli:alice", "connect", subject, "matched to Audited Org (organization created)"),
    ]
    assert rows[0]["Detail"].startswith("kept ")
    assert all(r["When"].endswith("Z") and "T" in r["When"] for r in rows)
    code, out, _ = run("audit", "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 3


def test_the_audit_csv_is_formula_guarded_and_the_actor_falls_back_to_cli(
    cli: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_group(Store(db_path), "=HYPERLINK(\"http://x\")", actor="@attacker")
    rows = audit_rows()
    assert rows[0]["Who"] == "'@attacker"

    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr("getpass.getuser", no_user)
    tenant = next(iter(cli.tenants.values()))
    assert run("tenants", "add", tenant.tenant_id, "--organization=-1+1")[0] == 0
    newest = audit_rows()[0]
    assert newest["Who"] == "cli" and newest["Detail"] == "matched to -1+1 (organization created)"
    assert run("tenants", "match", tenant.tenant_id, "--ignore")[0] == 0
    assert audit_rows()[0]["Target"] == f"tenant {tenant.tenant_id} (-1+1)"
