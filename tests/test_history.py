"""History: trends from license_snapshots and the change since a moment."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from o365lic.cli import main
from o365lic.history import HistoryError, change_since, history_csv, parse_since, trend
from o365lic.simulator import SKU_CATALOG, SimulatedSku, SimulatedUser
from o365lic.store import Store, add_integration
from tests.feature_tenants import Lic, running, sync_into, tenant

T0 = datetime(2026, 10, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_two_syncs_with_a_change_give_a_two_point_trend_and_the_change_since(
        store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running([tenant("Epsilon", [Lic("SPE_E3", 10, 6)]), tenant("Zeta", [Lic("SPB", 4, 4)])]) as sim:
        sync_into(store, sim, db_path)
        between = datetime.now(UTC)
        epsilon = next(t for t in sim.tenants.values() if t.display_name == "Epsilon")
        with sim.lock:
            epsilon.skus[0].enabled = 15
            for i in range(3):
                epsilon.users.append(SimulatedUser(id=f"new-{i}", display_name=f"New {i}",
                                                   user_principal_name=f"new{i}@epsilon.onmicrosoft.com",
                                                   sku_ids=[SKU_CATALOG["SPE_E3"].sku_id, SKU_CATALOG["EMS"].sku_id]))
            epsilon.skus.append(SimulatedSku(SKU_CATALOG["EMS"].sku_id, "EMS", enabled=5))
        sync_into(store, sim, db_path, connect=False)

    epsilon_points = trend(store, "organization", organizations=["Epsilon"])
    assert epsilon_points[["organization", "active", "consumed"]].values.tolist() == [
        ["Epsilon", 10, 6], ["Epsilon", 20, 12]]                       # one point per sync (E3 + EMS)
    points = trend(store, "global")[["active", "consumed"]].values.tolist()
    assert [14, 10] in points and points[-1] == [24, 16]   # each tenant carried at its latest numbers
    per_license = trend(store, "license", organizations=["Epsilon"])
    ems = per_license[per_license["license_name"].str.contains("Mobility")]
    assert ems[["active", "consumed"]].values.tolist() == [[5, 3]]  # no point before it existed

    change = change_since(store, between).set_index(["organization", "sku_part_number"])
    e3 = change.loc[("Epsilon", "SPE_E3")]
    assert (e3.active_then, e3.active_now, e3.consumed_then, e3.consumed_now) == (10, 15, 6, 9)
    assert e3.active_change == 5
    new = change.loc[("Epsilon", "EMS")]
    assert (new.active_then, new.active_now, new.consumed_then) == (0, 5, 0)     # did not exist then
    zeta = change.loc[("Zeta", "SPB")]
    assert (zeta.active_then, zeta.active_now) == (4, 4)
    before_any = change_since(store, between - timedelta(days=1))
    assert before_any["active_then"].sum() == 0 and before_any["active_now"].sum() == 24

    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    out, err = io.StringIO(), io.StringIO()
    since = between.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert main(["history", "--since", since, "--organization", "epsilon"], out=out, err=err) == 0, err.getvalue()
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert ",".join(rows[0]) == ("Organization,Tenant ID,License,SKU,Active Then,Active Now,Consumed Then,"
                                 "Consumed Now")
    assert sorted((r[3], r[4:]) for r in rows[1:]) == [("EMS", ["0", "5", "0", "3"]),
                                                       ("SPE_E3", ["10", "15", "6", "9"])]
    assert main(["history", "--since", "26 October"], out=io.StringIO(), err=err) == 2
    assert "not a date such as" in err.getvalue()


def _snap(store: Store, run: int, integration: int, org: int, tenant_id: str, sku: str, at: datetime,
          active: int, consumed: int) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO license_snapshots (sync_run_id, integration_id, organization_id, tenant_id, sku_id, "
            "sku_part_number, license_name, status, active, consumed, unused, over_assigned, warning_units, "
            "suspended_units, is_free, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'Enabled', ?, ?, 0, 0, 0, 0, FALSE, ?)",
            [run, integration, org, tenant_id, sku, sku, sku, active, consumed, at])


def test_change_only_snapshots_and_a_closing_zero_are_read_as_states(store: Store) -> None:
    """Under the rule 'a row only when numbers change, zeros when a SKU disappears'."""
    tenant_id = "00000000-0000-0000-0000-0000000000aa"
    integration = add_integration(store, tenant_id, "Eta")
    iid, org = integration.id, integration.organization_id
    _snap(store, 1, iid, org, tenant_id, "E3", T0, 10, 5)
    _snap(store, 2, iid, org, tenant_id, "VISIO", T0 + 2 * HOUR, 3, 1)
    _snap(store, 3, iid, org, tenant_id, "E3", T0 + 3 * HOUR, 12, 6)
    _snap(store, 4, iid, org, tenant_id, "VISIO", T0 + 4 * HOUR, 0, 0)      # closing zero: gone
    assert trend(store)[["active", "consumed"]].values.tolist() == [[10, 5], [13, 6], [15, 7], [12, 6]]
    change = change_since(store, T0 + 2 * HOUR + timedelta(minutes=30)).set_index("sku_id")
    assert change.loc["E3", ["active_then", "active_now", "consumed_then", "consumed_now"]].tolist() == [10, 12, 5, 6]
    assert change.loc["VISIO", ["active_then", "active_now"]].tolist() == [3, 0]
    # "then" includes a snapshot taken exactly at the moment
    assert change_since(store, T0 + 3 * HOUR).set_index("sku_id").loc["E3", "active_then"] == 12
    # a license gone before "then" and still gone is left out
    assert list(change_since(store, T0 + 5 * HOUR)["sku_id"]) == ["E3"]
    text = history_csv(change_since(store, T0 + 5 * HOUR))
    assert text.splitlines()[1] == f"Eta,{tenant_id},E3,E3,12,12,6,6"


def test_since_takes_a_date_or_an_iso_timestamp() -> None:
    assert parse_since("2026-10-26") == datetime(2026, 10, 26, tzinfo=UTC)
    assert parse_since("2026-10-26T08:30:00Z") == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)
    assert parse_since("2026-10-26T10:30:00+02:00") == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)
    assert parse_since("2026-10-26T08:30") == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)
    for bad in ("", "yesterday", "2026-13-01", "26/10/2026"):
        with pytest.raises(HistoryError):
            parse_since(bad)
