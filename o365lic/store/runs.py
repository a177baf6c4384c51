"""Sync runs: opened for every chosen tenant at once, failed in sets, closed when interrupted.

A run is ``running`` from the start of a sync until its tenant lands or fails; a run left
``running`` by a process that died becomes an ``error`` with the message "interrupted".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from o365lic.store.database import Store

__all__ = [
    "INTERRUPTED",
    "FailedRun",
    "fail_runs",
    "last_warnings",
    "mark_interrupted_runs",
    "start_runs",
]

#: The error of a run whose process stopped before it finished.
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class FailedRun:
    """How one tenant's run failed: the message an admin reads, and what it cost."""

    run_id: int
    error: str
    requests: int = 0
    retries: int = 0
    users: int | None = None
    client_request_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def start_runs(store: Store, integrations: Sequence[tuple[int, str]], trigger: str = "manual") -> dict[int, int]:
    """Record a running sync run for each (integration id, tenant id) in one statement;
    returns integration id -> run id."""
    if not integrations:
        return {}
    frame = pd.DataFrame(list(integrations), columns=["integration_id", "tenant_id"])
    with store.transaction() as con:
        con.register("new_runs", frame)
        try:
            rows = con.execute(
                "INSERT INTO sync_runs (integration_id, tenant_id, started_at, outcome, trigger) "
                "SELECT integration_id, tenant_id, ?, 'running', ? FROM new_runs RETURNING integration_id, id",
                [_now(), trigger],
            ).fetchall()
        finally:
            con.unregister("new_runs")
    return {int(i): int(r) for i, r in rows}


def fail_runs(store: Store, failures: Sequence[FailedRun]) -> None:
    """Record failed runs in one statement; the tenants' data is untouched."""
    if not failures:
        return
    frame = pd.DataFrame(
        [(f.run_id, f.error[:2000], f.requests, f.retries, f.users, f.client_request_id) for f in failures],
        columns=["run_id", "error", "requests", "retries", "users", "client_request_id"],
    ).astype({"users": "Int64", "client_request_id": "string"})
    with store.transaction() as con:
        con.register("failed_runs", frame)
        try:
            con.execute(
                "UPDATE sync_runs SET finished_at = ?, outcome = 'error', error = f.error, warning = NULL, "
                "requests = f.requests, retries = f.retries, users = f.users, "
                "client_request_id = f.client_request_id FROM failed_runs f WHERE sync_runs.id = f.run_id",
                [_now()],
            )
        finally:
            con.unregister("failed_runs")


def mark_interrupted_runs(store: Store, older_than: timedelta | None = None) -> int:
    """Close runs left 'running' by a process that died: outcome error, message
    "interrupted"; returns how many. Call it when no sync can be running (the sync lock is
    free), or give an age."""
    cutoff = _now() - (older_than or timedelta(0))
    if not store.scalar("SELECT count(*) FROM sync_runs WHERE outcome = 'running' AND started_at <= ?", [cutoff]):
        return 0
    with store.transaction() as con:
        row = con.execute(
            "UPDATE sync_runs SET outcome = 'error', finished_at = ?, error = ? "
            "WHERE outcome = 'running' AND started_at <= ? RETURNING id",
            [_now(), INTERRUPTED, cutoff],
        ).fetchall()
    return len(row)


def last_warnings(store: Store) -> dict[str, str]:
    """Tenant id -> the warning of its latest finished run, for tenants whose latest run has one."""
    return {str(t): str(w) for t, w in store.rows(
        "SELECT tenant_id, warning FROM sync_runs WHERE warning IS NOT NULL AND id IN "
        "(SELECT max(id) FROM sync_runs WHERE outcome <> 'running' GROUP BY tenant_id)")}
