"""Sync: one tenant from Graph into the store; many tenants concurrently, one run each.

Per tenant: token, organization, subscribed SKUs, subscriptions, then users page by page
(each page staged in the database, so memory holds one page per tenant), then one
transaction that lands everything. A tenant that fails is recorded with its error and
keeps its previous data; the other tenants go on. One sync runs per database at a time,
across processes (a lock file beside the database).
"""

from __future__ import annotations

import fcntl
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

from o365lic.config import Settings
from o365lic.graph import GraphClient, GraphConnector, GraphError
from o365lic.licenses import DEFAULT_FREE_SKUS, LicenseRecord, license_record
from o365lic.product_names import refresh_if_stale
from o365lic.store import (
    Integration,
    Store,
    StoreError,
    SubscriptionRecord,
    TenantInfo,
    UserRecord,
    apply_tenant_sync,
    fail_run,
    list_integrations,
    load_free_skus,
    load_product_names,
    mark_interrupted_runs,
    stage_users,
    start_run,
)

__all__ = [
    "SyncInProgressError",
    "SyncResultOutcome",
    "TenantSyncResult",
    "USER_SELECT",
    "is_sync_running",
    "select_tenants",
    "sync_lock",
    "sync_tenant",
    "sync_tenants",
]

USER_SELECT = (
    "id,displayName,givenName,surname,userPrincipalName,mail,proxyAddresses,accountEnabled,assignedLicenses"
)
MINIMAL_USER_SELECT = "id,displayName,userPrincipalName,mail,accountEnabled,assignedLicenses"
USER_PAGE_SIZE = "999"
SyncResultOutcome = Literal["ok", "error", "skipped"]


class SyncInProgressError(RuntimeError):
    """Another sync of the same database is running."""


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

    def line(self) -> str:
        """One progress line for the CLI and the sync log."""
        who = f"{self.organization or '?'} ({self.tenant_id})"
        if self.outcome == "ok":
            return (f"OK     {who}: {self.licenses} licenses, {self.users} users, "
                    f"{self.requests} requests, {self.retries} retries, {self.seconds:.1f}s")
        if self.outcome == "skipped":
            return f"SKIP   {who}: {self.error}"
        return f"ERROR  {who}: {self.error}"


def _lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.sync.lock")


@contextmanager
def sync_lock(db_path: Path) -> Iterator[None]:
    """Hold the database's sync lock, or raise :class:`SyncInProgressError` at once."""
    path = _lock_path(Path(db_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SyncInProgressError(
            "a sync is already running for this database; wait for it to finish"
        ) from None
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def is_sync_running(db_path: Path) -> bool:
    """True while some process holds the database's sync lock."""
    try:
        with sync_lock(db_path):
            return False
    except SyncInProgressError:
        return True


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _tenant_info(tenant_id: str, body: Mapping[str, Any]) -> TenantInfo:
    orgs = body.get("value")
    org = orgs[0] if isinstance(orgs, list) and orgs and isinstance(orgs[0], dict) else {}
    domains = [d for d in org.get("verifiedDomains") or [] if isinstance(d, dict) and d.get("name")]
    default = next((d["name"] for d in domains if d.get("isDefault")), None)
    return TenantInfo(
        tenant_id=tenant_id,
        display_name=org.get("displayName") or None,
        default_domain=default or (domains[0]["name"] if domains else None),
        verified_domains=tuple(str(d["name"]) for d in domains),
    )


def _subscription(item: Mapping[str, Any]) -> SubscriptionRecord:
    total = item.get("totalLicenses")
    return SubscriptionRecord(
        subscription_id=str(item.get("id") or ""),
        commerce_subscription_id=item.get("commerceSubscriptionId"),
        sku_id=str(item.get("skuId") or "").lower(),
        sku_part_number=item.get("skuPartNumber"),
        status=item.get("status"),
        total_licenses=int(total) if isinstance(total, (int, float)) else 0,
        is_trial=bool(item.get("isTrial")),
        created_date_time=_parse_time(item.get("createdDateTime")),
        next_lifecycle_date_time=_parse_time(item.get("nextLifecycleDateTime")),
    )


def _user(item: Mapping[str, Any]) -> UserRecord | None:
    user_id = item.get("id")
    if not user_id:
        return None
    skus = tuple(sorted({
        str(a["skuId"]).lower() for a in item.get("assignedLicenses") or []
        if isinstance(a, dict) and a.get("skuId")
    }))
    enabled = item.get("accountEnabled")
    aliases = tuple(sorted({
        str(p).split(":", 1)[1].strip().lower() for p in item.get("proxyAddresses") or []
        if isinstance(p, str) and p.lower().startswith("smtp:") and "@" in p
    }))
    return UserRecord(
        user_id=str(user_id),
        user_principal_name=item.get("userPrincipalName"),
        display_name=item.get("displayName"),
        given_name=item.get("givenName"),
        surname=item.get("surname"),
        mail=item.get("mail"),
        account_enabled=bool(enabled) if enabled is not None else None,
        sku_ids=skus,
        proxy_addresses=aliases,
    )


def _stage_all_users(store: Store, client: GraphClient, run_id: int) -> int:
    """Stage every user page by page; returns how many.

    Asks for the properties contact matching uses; a server that refuses them (400 on the
    first page) is asked for the minimal set of SPEC section 4 instead.
    """
    staged = 0
    for select in (USER_SELECT, MINIMAL_USER_SELECT):
        try:
            for page in client.iter_pages("/users", {"$select": select, "$top": USER_PAGE_SIZE}):
                records = [u for u in (_user(item) for item in page) if u is not None]
                staged += stage_users(store, run_id, records)
            return staged
        except GraphError as exc:
            if exc.status != 400 or staged or select == MINIMAL_USER_SELECT:
                raise
    return staged  # pragma: no cover


def _scrub(text: str, settings: Settings) -> str:
    """Never let the client secret into a stored or printed message."""
    if settings.client_secret and len(settings.client_secret) >= 4:
        text = text.replace(settings.client_secret, "***")
    return text


def sync_tenant(
    store: Store,
    connector: GraphConnector,
    integration: Integration,
    *,
    product_names: Mapping[str, str] | None = None,
    free_skus: Iterable[str] | None = None,
    trigger: str = "manual",
) -> TenantSyncResult:
    """Sync one tenant; never raises for Graph or data trouble (the result says)."""
    started = time.monotonic()
    tenant_id = integration.tenant_id
    try:
        run_id = start_run(store, integration.id, tenant_id, trigger)
    except StoreError as exc:
        return TenantSyncResult(tenant_id, integration.organization, "error", error=str(exc))
    client = connector.client(tenant_id)
    users = 0
    licenses: list[LicenseRecord] | None = None
    try:
        tenant = _tenant_info(tenant_id, client.get("/organization"))
        subscriptions: list[SubscriptionRecord] | None = None
        if integration.sync_licenses:
            skus = client.get_all("/subscribedSkus")
            try:
                subscriptions = [_subscription(s) for s in client.get_all("/directory/subscriptions")]
            except GraphError as exc:
                if exc.status not in (403, 404):
                    raise
                subscriptions = None  # keep what we had; the licenses themselves are complete
            trial_skus = _all_trial_skus(subscriptions or [])
            names = product_names or {}
            free = list(free_skus) if free_skus is not None else list(DEFAULT_FREE_SKUS)
            try:
                licenses = [license_record(s, product_names=names, free_skus=free,
                                           trial_sku_ids=trial_skus) for s in skus]
            except ValueError as exc:
                raise GraphError(str(exc), tenant_id=tenant_id, call="GET /subscribedSkus",
                                 code="MalformedResponse") from None
        users = _stage_all_users(store, client, run_id)
        apply_tenant_sync(
            store, run_id=run_id, integration_id=integration.id, tenant=tenant,
            licenses=licenses, subscriptions=subscriptions, users=users,
            requests=client.stats.requests, retries=client.stats.retries,
        )
    except Exception as exc:  # one tenant's failure must not stop the others
        if isinstance(exc, (GraphError, StoreError, LookupError)):
            message = str(exc)
        else:
            message = f"tenant {tenant_id}: {type(exc).__name__}: {exc}"
        message = _scrub(message, connector.settings)
        try:
            fail_run(store, run_id, message, requests=client.stats.requests,
                     retries=client.stats.retries, users=users)
        except StoreError:
            pass
        return TenantSyncResult(
            tenant_id=tenant_id, organization=integration.organization, outcome="error",
            users=users, requests=client.stats.requests, retries=client.stats.retries,
            seconds=time.monotonic() - started, error=message,
        )
    finally:
        client.close()
    return TenantSyncResult(
        tenant_id=tenant_id, organization=integration.organization, outcome="ok",
        licenses=len(licenses) if licenses is not None else 0, users=users,
        requests=client.stats.requests, retries=client.stats.retries,
        seconds=time.monotonic() - started,
    )


def _all_trial_skus(subscriptions: Sequence[SubscriptionRecord]) -> frozenset[str]:
    by_sku: dict[str, list[bool]] = {}
    for sub in subscriptions:
        by_sku.setdefault(sub.sku_id, []).append(sub.is_trial)
    return frozenset(sku for sku, trials in by_sku.items() if trials and all(trials))


def _is_due(integration: Integration, now: datetime) -> bool:
    if integration.last_sync_at is None:
        return True
    last = integration.last_sync_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    return now - last >= timedelta(minutes=integration.sync_interval_minutes)


def select_tenants(
    integrations: Sequence[Integration], tenants: Sequence[str] | None = None, *, due_only: bool = False,
) -> tuple[list[Integration], list[TenantSyncResult]]:
    """The integrations to sync, and results for named tenants that will not be."""
    skipped: list[TenantSyncResult] = []
    now = datetime.now(timezone.utc)
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


def sync_tenants(
    store: Store,
    settings: Settings,
    *,
    tenants: Sequence[str] | None = None,
    due_only: bool = False,
    trigger: str = "manual",
    on_result: Callable[[TenantSyncResult, int, int], None] | None = None,
    connector: GraphConnector | None = None,
) -> list[TenantSyncResult]:
    """Sync the connected, unpaused tenants (or those named) concurrently.

    ``on_result(result, done, total)`` is called in the caller's thread as each tenant
    finishes. Raises :class:`SyncInProgressError` when another sync is running.
    """
    with sync_lock(store.path), store.hold():
        mark_interrupted_runs(store)
        chosen, results = select_tenants(list_integrations(store), tenants, due_only=due_only)
        total = len(chosen) + len(results)
        for done, result in enumerate(results, 1):
            if on_result:
                on_result(result, done, total)
        if not chosen:
            return results
        own_connector = connector is None
        connector = connector or GraphConnector(settings)
        refresh_if_stale(store, settings)
        product_names = load_product_names(store)
        free_skus = load_free_skus(store)
        workers = max(1, min(settings.concurrency, len(chosen)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="o365lic-sync") as pool:
            futures = [
                pool.submit(sync_tenant, store, connector, integration, product_names=product_names,
                            free_skus=free_skus, trigger=trigger)
                for integration in chosen
            ]
            try:
                for future in as_completed(futures):
                    result = future.result()
                    results.append(result)
                    if on_result:
                        on_result(result, len(results), total)
            finally:
                if own_connector:
                    connector.close()
        return results
