"""Renewals: the window from now to now + N days (UTC, both ends in), what happens, the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from o365lic.cli import main
from o365lic.renewals import lifecycle_event, renewals, renewals_csv
from o365lic.store import Store
from o365lic.store.prices import set_price
from tests.feature_tenants import Lic, Sub, running, sync_into, tenant

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
def sim():
    real_now = datetime.now(UTC).replace(microsecond=0)
    with running([
        tenant("Gamma", [Lic("SPE_E3", 30, 22), Lic("VISIOCLIENT", 5, 5, status="Warning", warning=5),
                         Lic("PROJECTPROFESSIONAL", 0, 2, status="Suspended", suspended=4)], [
            Sub("SPE_E3", NOW - SECOND, total=1),                 # just past: not a renewal
            Sub("SPE_E3", NOW, total=2),                          # now: in
            Sub("SPE_E3", NOW + 30 * DAY, total=3),               # last moment of 30 days: in
            Sub("SPE_E3", NOW + 30 * DAY + SECOND, total=4),      # one second later: only in 60
            Sub("VISIOCLIENT", NOW + 45 * DAY, status="Warning", total=5),
            Sub("PROJECTPROFESSIONAL", NOW + 60 * DAY, status="Suspended", total=6, trial=True),
            Sub("PROJECTPROFESSIONAL", NOW + 90 * DAY + SECOND, status="Suspended", total=7),
        ]),
        tenant("Delta", [Lic("SPB", 12, 10)], [
            Sub("SPB", real_now + 5 * DAY, total=12), Sub("SPB", real_now + 45 * DAY, total=8)]),
    ]) as simulator:
        yield simulator


@pytest.fixture
def synced(sim, store: Store, db_path: Path) -> Store:
    sync_into(store, sim, db_path)
    return store


def test_windows_pick_exactly_the_subscriptions_on_each_side_of_each_boundary(synced: Store) -> None:
    def totals(days: int) -> list[int]:
        return renewals(synced, days=days, organizations=["Gamma"], now=NOW)["total_licenses"].tolist()

    assert totals(30) == [2, 3]
    assert totals(60) == [2, 3, 4, 5, 6]
    assert totals(90) == [2, 3, 4, 5, 6]
    assert totals(0) == [2]
    # a second later, the subscription due at NOW is past and the one a second after 30 days is in
    assert renewals(synced, days=30, organizations=["Gamma"], now=NOW + SECOND)[
        "total_licenses"].tolist() == [3, 4]
    # a naive "now" is UTC
    assert renewals(synced, days=30, organizations=["Gamma"], now=NOW.replace(tzinfo=None))[
        "total_licenses"].tolist() == [2, 3]


def test_each_renewal_says_what_happens_and_carries_the_skus_unused_and_cost(synced: Store) -> None:
    set_price(synced, "SPE_E3", "USD", "36")
    table = renewals(synced, days=90, organizations=["Gamma"], now=NOW).set_index("total_licenses")
    assert table.loc[2, "event"].startswith("renews, or expires")
    assert table.loc[5, "event"] == lifecycle_event("Warning") and "suspended" in table.loc[5, "event"]
    assert table.loc[6, "event"] == lifecycle_event("Suspended") and "deleted" in table.loc[6, "event"]
    assert table.loc[2, "sku_unused"] == table.loc[3, "sku_unused"] == 8   # the SKU's figure, repeated
    assert table.loc[2, "unused_monthly_cost"] == 8 * 36 and table.loc[2, "currency"] == "USD"
    assert bool(table.loc[6, "is_trial"]) and table.loc[2, "license_name"] == "Microsoft 365 E3"
    rows = list(csv.reader(io.StringIO(renewals_csv(table.reset_index()))))
    assert ",".join(rows[0]) == ("Organization,Tenant ID,License,SKU,Subscription Status,Licenses,Trial,"
                                 "Next Lifecycle,SKU Unused")
    assert rows[1][0] == "Gamma" and rows[1][3:] == ["SPE_E3", "Enabled", "2", "no", "2026-11-26T12:00:00Z", "8"]


def test_renewals_command_defaults_to_30_days_from_now(synced: Store, sim, db_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    out, err = io.StringIO(), io.StringIO()
    assert main(["renewals", "--organization", "delta"], out=out, err=err) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [(r[0], r[5]) for r in rows[1:]] == [("Delta", "12")]
    out = io.StringIO()
    assert main(["renewals", "--days", "60", "--organization", "Delta"], out=out, err=err) == 0
    assert [r[5] for r in list(csv.reader(io.StringIO(out.getvalue())))[1:]] == ["12", "8"]
    assert main(["renewals", "--organization", "Nobody"], out=io.StringIO(), err=err) == 1
    assert "no organization named 'Nobody'" in err.getvalue()
    assert main(["renewals", "--days", "-1"], out=io.StringIO(), err=err) == 2
