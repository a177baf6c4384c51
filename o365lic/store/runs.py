"""Sync runs: start, staging of users page by page, failure; stale-run clean-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

import pandas as pd

from o365lic.store.database import Store
from o365lic.store.records import UserRecord

__all__ = [
    "fail_run",
    "mark_interrupted_runs",
    "stage_users",
    "start_run",
]

_STAGING_COLUMNS = [
    "sync_run_id", "user_id", "user_principal_name", "display_name", "given_name",
    "surname", "mail", "proxy_addresses", "account_enabled",
]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def start_run(store: Store, integration_id: int, tenant_id: str, trigger: str = "manual") -> int:
    """Record a sync run as running; returns its id."""
    with store.transaction() as con:
        row = con.execute(
            "INSERT INTO sync_runs (integration_id, tenant_id, started_at, outcome, trigger) "
            "VALUES (?, ?, ?, 'running', ?) RETURNING id",
            [integration_id, tenant_id, _now(), trigger],
        ).fetchone()
    assert row is not None
    return int(row[0])


def stage_users(store: Store, run_id: int, users: Iterable[UserRecord]) -> int:
    """Keep one page of users (and their licenses) for the run's final transaction."""
    people = list(users)
    if not people:
        return 0
    users_df = pd.DataFrame(
        [(run_id, u.user_id, u.user_principal_name, u.display_name, u.given_name, u.surname,
          u.mail, list(u.proxy_addresses), u.account_enabled) for u in people],
        columns=_STAGING_COLUMNS,
    ).astype({"account_enabled": "boolean"})
    licenses_df = pd.DataFrame(
        [(run_id, u.user_id, sku) for u in people for sku in u.sku_ids],
        columns=["sync_run_id", "user_id", "sku_id"],
    )
    with store.transaction() as con:
        con.register("page_users", users_df)
        try:
            columns = ", ".join(_STAGING_COLUMNS)
            con.execute(f"INSERT INTO staging_users ({columns}) SELECT {columns} FROM page_users")
        finally:
            con.unregister("page_users")
        if len(licenses_df):
            con.register("page_licenses", licenses_df)
            try:
                con.execute("INSERT INTO staging_user_licenses (sync_run_id, user_id, sku_id) "
                            "SELECT sync_run_id, user_id, sku_id FROM page_licenses")
            finally:
                con.unregister("page_licenses")
    return len(people)


def fail_run(
    store: Store, run_id: int, error: str, *, requests: int = 0, retries: int = 0,
    users: int | None = None,
) -> None:
    """Record a failed run and drop what it staged; the tenant's data is untouched."""
    with store.transaction() as con:
        con.execute("DELETE FROM staging_users WHERE sync_run_id = ?", [run_id])
        con.execute("DELETE FROM staging_user_licenses WHERE sync_run_id = ?", [run_id])
        con.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = 'error', error = ?, requests = ?, "
            "retries = ?, users = ? WHERE id = ?",
            [_now(), error[:2000], requests, retries, users, run_id],
        )


def mark_interrupted_runs(store: Store, older_than: timedelta | None = None) -> int:
    """Close runs left 'running' by a process that died; returns how many.

    Call it holding the sync lock (then no run can really be running), or give an age.
    """
    cutoff = _now() - (older_than or timedelta(0))
    with store.transaction() as con:
        stale = [r[0] for r in con.execute(
            "SELECT id FROM sync_runs WHERE outcome = 'running' AND started_at <= ?", [cutoff]
        ).fetchall()]
        for run_id in stale:
            con.execute("DELETE FROM staging_users WHERE sync_run_id = ?", [run_id])
            con.execute("DELETE FROM staging_user_licenses WHERE sync_run_id = ?", [run_id])
            con.execute(
                "UPDATE sync_runs SET outcome = 'interrupted', finished_at = ?, "
                "error = 'the sync was interrupted (the process stopped)' WHERE id = ?",
                [_now(), run_id],
            )
    return len(stale)
