"""Syncing many tenants: workers fetch concurrently, one writer lands them in group commits.

Workers (``settings.concurrency`` of them) fetch tenants into memory (:mod:`.fetch`). The
caller's thread is the writer: it collects finished tenants and lands them together every
:data:`GROUP_SIZE` tenants or :data:`GROUP_SECONDS` (:func:`o365lic.store.land_group`),
opening the database for each commit and letting go after it, so the app and the CLI read
while a long sync runs. No more than ``concurrency + GROUP_SIZE`` tenants are held in memory
at once, whatever the number of tenants. A tenant whose fetch failed never enters a group;
its run records the error. One sync runs per database at a time (:mod:`.lock`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from o365lic.config import Settings
from o365lic.graph import GraphConnector
from o365lic.licenses import DEFAULT_FREE_SKUS
from o365lic.product_names import refresh_if_stale
from o365lic.store import (
    FailedRun,
    Integration,
    Store,
    StoreBusyError,
    StoreError,
    TenantBatch,
    all_trial_skus,
    fail_runs,
    land_group,
    list_integrations,
    load_free_skus,
    load_product_names,
    mark_interrupted_runs,
    start_runs,
)
from o365lic.sync.fetch import MAX_CALLS_PER_TENANT, describe_error, fetch_tenant
from o365lic.sync.lock import sync_lock

__all__ = [
    "BACKGROUND_NICENESS",
    "GROUP_SECONDS",
    "GROUP_SIZE",
    "SyncResultOutcome",
    "TenantSyncResult",
    "landing_order",
    "run_in_background",
    "select_tenants",
    "sync_tenants",
]

SyncResultOutcome = Literal["ok", "error", "skipped"]
#: A group commit lands this many finished tenants at most...
GROUP_SIZE = 50
#: ...or whatever has finished when the oldest of them has waited this long (fewer, fuller
#: commits leave the file free to readers longer between them; bench/RESULTS.md).
GROUP_SECONDS = 1.0
#: The CPU priority (``nice``) that a sync's background work runs at, at least: the threads that
#: fetch tenants, and the whole process of ``python -m o365lic sync``. A sync is background work;
#: on the app's machine the pages people use come first. The app's writer thread keeps its
#: priority, so that it holds the database file no longer than it must.
BACKGROUND_NICENESS = 10
#: How long the writer keeps retrying a group while another program holds the file.
BUSY_PATIENCE_SECONDS = 120.0


@dataclass(frozen=True)
class TenantSyncResult:
    """How one tenant's sync ended."""

    tenant_id: str
    organization: str | None
    outcome: SyncResultOutcome
    licenses: int = 0
    users: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    error: str | None = None
    warning: str | None = None

    def line(self) -> str:
        """One progress line for the CLI and the sync log."""
        who = f"{self.organization or '?'} ({self.tenant_id})"
        if self.outcome == "ok":
            text = (f"OK     {who}: {self.licenses} licenses, {self.users} users, "
                    f"{self.requests} requests, {self.retries} retries, {self.seconds:.1f}s")
            return f"{text}; warning: {self.warning}" if self.warning else text
        if self.outcome == "skipped":
            return f"SKIP   {who}: {self.error}"
        return f"ERROR  {who}: {self.error}"


def _is_due(integration: Integration, now: datetime) -> bool:
    if integration.last_sync_at is None:
        return True
    last = integration.last_sync_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return now - last >= timedelta(minutes=integration.sync_interval_minutes)


def select_tenants(
    integrations: Sequence[Integration], tenants: Sequence[str] | None = None, *, due_only: bool = False,
) -> tuple[list[Integration], list[TenantSyncResult]]:
    """The integrations to sync, and results for named tenants that will not be."""
    skipped: list[TenantSyncResult] = []
    now = datetime.now(UTC)
    if tenants:
        by_id = {i.tenant_id: i for i in integrations}
        by_domain = {(i.default_domain or "").lower(): i for i in integrations if i.default_domain}
        chosen: list[Integration] = []
        for name in tenants:
            key = name.strip().lower()
            found = by_id.get(key) or by_domain.get(key)
            if found is None:
                skipped.append(TenantSyncResult(key, None, "error", error="this tenant is not connected"))
            elif found.paused:
                skipped.append(TenantSyncResult(found.tenant_id, found.organization, "skipped", error="paused"))
            elif found.match_state != "matched" or found.organization_id is None:
                skipped.append(TenantSyncResult(found.tenant_id, None, "skipped",
                                                error=f"{found.match_state}: not matched to an organization"))
            elif found not in chosen:
                chosen.append(found)
    else:
        chosen = [i for i in integrations
                  if not i.paused and i.match_state == "matched" and i.organization_id is not None]
    if due_only:
        chosen = [i for i in chosen if _is_due(i, now)]
    return chosen, skipped


def landing_order(integration: Integration) -> tuple[int, int]:
    """The order tenants are fetched and landed in: by organization id, then integration id.

    A group commit then holds organizations of neighbouring ids, and their contacts, written
    in the same order, lie together: the group's statements narrow ``contacts`` to its
    organizations and DuckDB skips every other row group by its min/max. In name order a
    group's ids spread over the whole table, and each commit read (and held in memory) every
    row group: 85 MiB of buffers per commit at 5,000 tenants x 300 users (bench/RESULTS.md).
    """
    return (integration.organization_id or 0, integration.id)


def run_in_background() -> None:
    """Lower the calling thread's CPU priority to :data:`BACKGROUND_NICENESS` if it is higher
    (Linux keeps a priority per thread, and the threads it starts inherit it; elsewhere, or when
    refused, the thread keeps its priority)."""
    if not hasattr(os, "setpriority"):
        return
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, max(os.getpriority(os.PRIO_PROCESS, me), BACKGROUND_NICENESS))
    except OSError:
        pass


class _Writer:
    """Collects fetched tenants and lands them in group commits, reporting each result."""

    def __init__(self, store: Store, settings: Settings, results: list[TenantSyncResult], total: int,
                 on_result: Callable[[TenantSyncResult, int, int], None] | None,
                 group_size: int, group_seconds: float) -> None:
        self.store, self.settings, self.results, self.total = store, settings, results, total
        self.on_result, self.group_size, self.group_seconds = on_result, group_size, group_seconds
        self.pending: list[tuple[TenantBatch | FailedRun, Integration, float]] = []
        self.oldest: float | None = None

    def add(self, item: TenantBatch | FailedRun, integration: Integration, started: float) -> None:
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((item, integration, started))

    def wait_time(self) -> float | None:
        if self.oldest is None:
            return None
        return max(0.0, self.oldest + self.group_seconds - time.monotonic())

    def due(self) -> bool:
        return len(self.pending) >= self.group_size or (
            self.oldest is not None and time.monotonic() - self.oldest >= self.group_seconds)

    def _land(self, batches: list[TenantBatch]) -> dict[int, str]:
        by_run = {b.run_id: b for b in batches}
        secrets = [self.settings.client_secret]

        def describe(exc: BaseException, batch: TenantBatch) -> str:
            return describe_error(exc, batch.tenant.tenant_id, secrets)

        deadline = time.monotonic() + BUSY_PATIENCE_SECONDS
        while True:
            try:
                errors = land_group(self.store, batches, describe)
                break
            except StoreBusyError as exc:  # another program holds the file: wait, never fail for it
                if time.monotonic() >= deadline:
                    errors = {run: describe(exc, batch) for run, batch in by_run.items()}
                    break
        return errors

    def flush(self) -> None:
        if not self.pending:
            return
        group, self.pending, self.oldest = self.pending, [], None
        batches = [item for item, _, _ in group if isinstance(item, TenantBatch)]
        errors = self._land(batches)
        failures = [item for item, _, _ in group if isinstance(item, FailedRun)]
        failures += [FailedRun(b.run_id, errors[b.run_id], b.requests, b.retries, b.user_count)
                     for b in batches if b.run_id in errors]
        try:
            fail_runs(self.store, failures)
        except StoreError:
            pass  # the tenants' data is whole; the next sync closes their runs
        failed = {f.run_id: f for f in failures}
        now = time.monotonic()
        for item, integration, started in group:
            who = (integration.tenant_id, integration.organization)
            fail = failed.get(item.run_id)
            if fail is not None:
                result = TenantSyncResult(*who, "error", users=fail.users or 0, requests=fail.requests,
                                          retries=fail.retries, seconds=now - started, error=fail.error)
            else:
                assert isinstance(item, TenantBatch)
                result = TenantSyncResult(
                    *who, "ok", licenses=len(item.licenses) if item.licenses is not None else 0,
                    users=item.user_count, requests=item.requests, retries=item.retries,
                    seconds=now - started, warning=item.warning)
            self.results.append(result)
            if self.on_result:
                self.on_result(result, len(self.results), self.total)


def sync_tenants(
    store: Store,
    settings: Settings,
    *,
    tenants: Sequence[str] | None = None,
    due_only: bool = False,
    trigger: str = "manual",
    on_result: Callable[[TenantSyncResult, int, int], None] | None = None,
    connector: GraphConnector | None = None,
    group_size: int = GROUP_SIZE,
    group_seconds: float = GROUP_SECONDS,
    hold_file: bool = False,
) -> list[TenantSyncResult]:
    """Sync the connected, unpaused tenants (or those named) concurrently.

    ``on_result(result, done, total)`` is called in the caller's thread as each tenant lands
    or fails. Raises :class:`SyncInProgressError` when another sync is running. ``hold_file``
    keeps the database open for the whole sync (measured in ``bench/``: not the default, so
    that other programs can read between group commits).
    """
    with sync_lock(store.path), (store.hold() if hold_file else nullcontext()):
        mark_interrupted_runs(store)  # we hold the lock: no run can really be running
        chosen, results = select_tenants(list_integrations(store), tenants, due_only=due_only)
        total = len(chosen) + len(results)
        for done, result in enumerate(results, 1):
            if on_result:
                on_result(result, done, total)
        if not chosen:
            return results
        own_connector = connector is None
        connector = connector or GraphConnector(settings)
        try:
            refresh_if_stale(store, settings)
            names = load_product_names(store)
            edited = load_free_skus(store)
            free = sorted(DEFAULT_FREE_SKUS if edited is None else edited)
            trials = all_trial_skus(store)
            runs = start_runs(store, [(i.id, i.tenant_id) for i in chosen], trigger)
            writer = _Writer(store, settings, results, total, on_result, group_size, group_seconds)
            workers = max(1, min(settings.concurrency, len(chosen)))
            queue = iter(sorted(chosen, key=landing_order))
            in_flight: dict[Future[TenantBatch | FailedRun], tuple[Integration, float]] = {}
            with ThreadPoolExecutor(workers, thread_name_prefix="o365lic-sync",
                                    initializer=run_in_background) as pool, \
                    ThreadPoolExecutor(workers * (MAX_CALLS_PER_TENANT - 1) // 2, initializer=run_in_background,
                                       thread_name_prefix="o365lic-call") as calls:

                def submit_next() -> None:
                    integration = next(queue, None)
                    if integration is not None:
                        future = pool.submit(
                            fetch_tenant, connector, integration, runs[integration.id], calls=calls,
                            product_names=names, free_skus=free,
                            known_trials=trials.get(integration.id, frozenset()))
                        in_flight[future] = (integration, time.monotonic())

                for _ in range(workers + group_size):  # memory: a bounded number of tenants
                    submit_next()
                while in_flight:
                    done, _ = wait(in_flight, timeout=writer.wait_time(), return_when=FIRST_COMPLETED)
                    for future in [f for f in in_flight if f in done]:  # in landing order, not a set's
                        integration, started = in_flight.pop(future)
                        writer.add(future.result(), integration, started)
                        submit_next()
                    if writer.due() or not in_flight:
                        writer.flush()
                writer.flush()
        finally:
            if own_connector:
                connector.close()
        return results
