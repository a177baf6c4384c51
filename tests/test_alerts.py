"""Alerts: each rule fires on the tenant built to trigger it and on no other; exit 0 / 3."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from o365lic.alerts import (
    AlertError,
    AlertSettings,
    alert_settings,
    alerts,
    save_alert_settings,
)
from o365lic.cli import main
from o365lic.simulator import Fault
from o365lic.store import Store, add_integration
from o365lic.store.audit import audit_log
from o365lic.sync import sync_tenants
from tests.conftest import settings_for
from tests.feature_tenants import Lic, Sub, running, tenant

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
LATER = datetime.now(UTC).replace(microsecond=0) + timedelta(days=200)

TENANTS = [
    tenant("Over Co", [Lic("SPE_E3", 5, 7)]),
    tenant("Idle Co", [Lic("SPE_E5", 20, 10)], [Sub("SPE_E5", LATER)]),
    tenant("Renew Co", [Lic("SPB", 12, 10)], [Sub("SPB", SOON, total=12)]),
    tenant("Suspended Co", [Lic("PROJECTPROFESSIONAL", 0, 3, status="Suspended", suspended=5)]),
    tenant("Stale Co", [Lic("SPE_E3", 2, 2)]),
    tenant("Clean Co", [Lic("SPE_E3", 10, 10), Lic("FLOW_FREE", 10000, 3), Lic("TEAMS_EXPLORATORY", 100, 120)],
           [Sub("FLOW_FREE", SOON, total=10000), Sub("SPE_E3", SOON, total=10)]),
]
EXPECTED = {("Over-assigned", "Over Co"), ("Unused seats", "Idle Co"), ("Renewal", "Renew Co"),
            ("Suspended with users", "Suspended Co"), ("Sync overdue", "Stale Co")}


@pytest.fixture(scope="module")
def sim():
    with running(TENANTS) as simulator:
        yield simulator


@pytest.fixture
def synced(sim, store: Store, db_path: Path) -> Store:
    for t in sim.tenants.values():
        add_integration(store, t.tenant_id, t.display_name)
    stale = next(t for t in sim.tenants.values() if t.display_name == "Stale Co")
    sim.add_fault(stale.tenant_id, Fault("signin_failure", times=None))
    try:
        sync_tenants(store, settings_for(sim, db_path))
    finally:
        sim.clear_faults()
    with store.transaction() as con:  # connected three days ago, never synced since
        con.execute("UPDATE integrations SET created_at = now() - INTERVAL 3 DAY WHERE tenant_id = ?",
                    [stale.tenant_id])
    return store


def test_each_rule_fires_on_its_tenant_and_on_no_other(synced: Store) -> None:
    table = alerts(synced)
    assert set(zip(table["kind"], table["organization"])) == EXPECTED
    assert len(table) == len(EXPECTED)
    detail = dict(zip(table["kind"], table["detail"]))
    assert detail["Over-assigned"] == "7 users hold 5 licenses: 2 over-assigned (Enabled)"
    assert detail["Unused seats"] == "10 of 20 seats unused (50%)"
    assert "2 seats of the SKU are unused" in detail["Renewal"] and "renews" in detail["Renewal"]
    assert "Suspended and 3 users" in detail["Suspended with users"]
    assert "never synced" in detail["Sync overdue"]
    assert alerts(synced, organizations=["Idle Co"])["kind"].tolist() == ["Unused seats"]


def test_thresholds_are_saved_and_change_what_fires(synced: Store) -> None:
    assert alert_settings(synced) == AlertSettings()
    save_alert_settings(synced, AlertSettings(unused_min_seats=11, unused_min_share=0.2, renewal_days=5,
                                              stale_sync_hours=100), actor="admin@msp.example")
    assert alert_settings(synced).unused_min_seats == 11
    kinds = set(alerts(synced)["kind"])
    assert kinds == {"Over-assigned", "Suspended with users"}     # 10 < 11 seats; 10 days > 5; 72 h < 100
    assert audit_log(synced)["Action"].tolist()[0] == "alert settings"
    with pytest.raises(AlertError):
        save_alert_settings(synced, AlertSettings(unused_min_share=1.5), actor="admin@msp.example")
    assert alert_settings(synced).unused_min_seats == 11          # nothing saved


def test_alerts_command_exits_3_with_alerts_and_0_without(synced: Store, sim, db_path: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    out, err = io.StringIO(), io.StringIO()
    assert main(["alerts", "--format", "csv"], out=out, err=err) == 3
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert ",".join(rows[0]) == "Kind,Organization,Tenant ID,License,SKU,Detail"
    assert {(r[0], r[1]) for r in rows[1:]} == EXPECTED
    out = io.StringIO()
    assert main(["alerts"], out=out, err=err) == 3
    assert "Over-assigned: Over Co (" in out.getvalue() and "Microsoft 365 E3" in out.getvalue()

    clean_db = tmp_path / "clean.duckdb"
    clean = Store(clean_db)
    tenant_id = next(t.tenant_id for t in sim.tenants.values() if t.display_name == "Clean Co")
    add_integration(clean, tenant_id, "Clean Co")
    assert [r.outcome for r in sync_tenants(clean, settings_for(sim, clean_db))] == ["ok"]
    monkeypatch.setenv("O365LIC_DB", str(clean_db))
    out = io.StringIO()
    assert main(["alerts", "--format", "csv"], out=out, err=err) == 0
    assert out.getvalue().strip() == "Kind,Organization,Tenant ID,License,SKU,Detail"
    monkeypatch.setenv("O365LIC_CONCURRENCY", "many")
    assert main(["alerts"], out=io.StringIO(), err=err) == 2       # a broken set-up is not "alerts"


def test_a_restricted_license_stays_hidden_from_an_outsider_in_alerts_renewals_history_and_costs(
        synced: Store) -> None:
    from o365lic.cost_reports import license_costs
    from o365lic.history import change_since, trend
    from o365lic.renewals import renewals
    from o365lic.store import Viewer, add_group, set_asset_security

    asset = synced.scalar("SELECT asset_id FROM office365_licenses WHERE organization = 'Renew Co'")
    group = add_group(synced, "Renew Co team")
    set_asset_security(synced, asset, restricted=True, group_ids=[group])
    outsider = Viewer(email="temp@msp.example", display_name="Temp", role="Read-only")
    insider = Viewer(email="am@msp.example", display_name="AM", role="Read-only", group_ids=frozenset({group}))
    since = datetime.now(UTC) - timedelta(days=1)
    for viewer, seen in ((outsider, False), (insider, True)):
        assert (("Renewal", "Renew Co") in set(zip(*[alerts(synced, viewer=viewer)[c] for c in
                                                     ("kind", "organization")]))) is seen
        assert ("Renew Co" in set(renewals(synced, days=30, viewer=viewer)["organization"])) is seen
        assert ("Renew Co" in set(change_since(synced, since, viewer=viewer)["organization"])) is seen
        assert ("Renew Co" in set(trend(synced, "organization", viewer=viewer)["organization"])) is seen
        assert ("Renew Co" in set(license_costs(synced, viewer=viewer)["organization"])) is seen
    assert ("Over-assigned", "Over Co") in set(zip(*[alerts(synced, viewer=outsider)[c]
                                                     for c in ("kind", "organization")]))
