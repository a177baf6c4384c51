"""Fetching one tenant from Graph into memory: a :class:`TenantBatch`, or why it failed.

The tenant signs in once; then its independent calls go out together (organization,
subscribedSkus and directory/subscriptions on the shared call pool, the users pages in the
tenant's own thread): at most :data:`MAX_CALLS_PER_TENANT` requests in flight per tenant.
Users become columns (no object per user). Names from the tenant are cleaned as they arrive
(:func:`o365lic.text.clean_name`); every error message is scrubbed of the secret.

``/directory/subscriptions`` refused with 403 does not fail the tenant: its licenses land,
its stored subscriptions are kept, and the run carries a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, wait
from datetime import datetime
from typing import Any, TypeVar

from o365lic.graph import GraphClient, GraphConnector, GraphError
from o365lic.licenses import LicenseRecord, license_record
from o365lic.store import (
    FailedRun,
    Integration,
    StoreError,
    SubscriptionRecord,
    TenantBatch,
    TenantInfo,
)
from o365lic.store.landing import USER_COLUMNS
from o365lic.text import MAX_NAME_LENGTH, clean_name, scrub_secrets

__all__ = [
    "MAX_CALLS_PER_TENANT",
    "MINIMAL_USER_SELECT",
    "USER_SELECT",
    "describe_error",
    "fetch_tenant",
    "subscriptions_warning",
]

USER_SELECT = (
    "id,displayName,givenName,surname,userPrincipalName,mail,proxyAddresses,accountEnabled,assignedLicenses"
)
MINIMAL_USER_SELECT = "id,displayName,userPrincipalName,mail,accountEnabled,assignedLicenses"
USER_PAGE_SIZE = "999"
#: Requests of one tenant in flight at once (Graph's limits are per app and tenant).
MAX_CALLS_PER_TENANT = 4

T = TypeVar("T")


def subscriptions_warning(error: object) -> str:
    """The run's warning when ``/directory/subscriptions`` is refused."""
    return f"renewal dates and trial flags unavailable: {error}"


def describe_error(exc: BaseException, tenant_id: str, secrets: Iterable[str | None]) -> str:
    """One line an admin can act on, never carrying the secret."""
    if isinstance(exc, (GraphError, StoreError, LookupError)):
        message = str(exc)
    else:
        message = f"tenant {tenant_id}: {type(exc).__name__}: {exc}"
    return scrub_secrets(message, secrets)


def _text(value: Any) -> str | None:
    """A name from the tenant, cleaned (:func:`clean_name`), or None when blank."""
    if type(value) is str and value.isprintable() and len(value) <= MAX_NAME_LENGTH and "  " not in value \
            and value[:1] != " " and value[-1:] != " ":
        # Already clean (no control or format characters, no whitespace but single inner
        # spaces, short enough): what clean_name would return, without its character walk.
        return value or None
    return clean_name(value) or None if value is not None else None


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
        display_name=_text(org.get("displayName")),
        default_domain=_text(default or (domains[0]["name"] if domains else None)),
        verified_domains=tuple(clean_name(d["name"]) for d in domains),
    )


def _subscription(item: Mapping[str, Any]) -> SubscriptionRecord:
    total = item.get("totalLicenses")
    return SubscriptionRecord(
        subscription_id=str(item.get("id") or ""),
        commerce_subscription_id=item.get("commerceSubscriptionId"),
        sku_id=str(item.get("skuId") or "").lower(),
        sku_part_number=_text(item.get("skuPartNumber")),
        status=item.get("status"),
        total_licenses=int(total) if isinstance(total, (int, float)) else 0,
        is_trial=bool(item.get("isTrial")),
        created_date_time=_parse_time(item.get("createdDateTime")),
        next_lifecycle_date_time=_parse_time(item.get("nextLifecycleDateTime")),
    )


def _all_trial(subscriptions: Sequence[SubscriptionRecord]) -> frozenset[str]:
    by_sku: dict[str, list[bool]] = {}
    for sub in subscriptions:
        by_sku.setdefault(sub.sku_id, []).append(sub.is_trial)
    return frozenset(sku for sku, trials in by_sku.items() if trials and all(trials))


class _Users:
    """A tenant's users as columns, and (user id, SKU id) pairs of their licenses."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {c: [] for c in USER_COLUMNS}
        self.license_users: list[str] = []
        self.license_skus: list[str] = []

    def add(self, item: Mapping[str, Any]) -> None:
        user_id = item.get("id")
        if not user_id:
            return
        uid = str(user_id)
        c = self.columns
        c["user_id"].append(uid)
        c["user_principal_name"].append(_text(item.get("userPrincipalName")))
        c["display_name"].append(_text(item.get("displayName")))
        c["given_name"].append(_text(item.get("givenName")))
        c["surname"].append(_text(item.get("surname")))
        c["mail"].append(_text(item.get("mail")))
        c["proxy_addresses"].append(sorted({
            str(p).split(":", 1)[1].strip().lower() for p in item.get("proxyAddresses") or []
            if isinstance(p, str) and p.lower().startswith("smtp:") and "@" in p
        }))
        enabled = item.get("accountEnabled")
        c["account_enabled"].append(bool(enabled) if enabled is not None else None)
        skus = {str(a["skuId"]).lower() for a in item.get("assignedLicenses") or []
                if isinstance(a, dict) and a.get("skuId")}
        self.license_users += [uid] * len(skus)
        self.license_skus += sorted(skus)

    def __len__(self) -> int:
        return len(self.columns["user_id"])


def _fetch_users(client: GraphClient) -> _Users:
    """Every user, page by page. Asks for the properties contact matching uses; a server that
    refuses them (400 on the first page) is asked for the minimal set of SPEC section 4."""
    for select in (USER_SELECT, MINIMAL_USER_SELECT):
        users = _Users()
        try:
            for page in client.iter_pages("/users", {"$select": select, "$top": USER_PAGE_SIZE}):
                for item in page:
                    users.add(item)
            return users
        except GraphError as exc:
            if exc.status != 400 or len(users) or select == MINIMAL_USER_SELECT:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _subscriptions(client: GraphClient) -> tuple[list[SubscriptionRecord] | None, str | None]:
    """The tenant's subscriptions, or None (keep the stored ones) and a warning when refused."""
    try:
        return [_subscription(s) for s in client.get_all("/directory/subscriptions")], None
    except GraphError as exc:
        if exc.status == 403:
            return None, subscriptions_warning(exc)
        if exc.status == 404:
            return None, None
        raise


def fetch_tenant(
    connector: GraphConnector,
    integration: Integration,
    run_id: int,
    *,
    calls: Executor,
    product_names: Mapping[str, str],
    free_skus: Iterable[str],
    known_trials: frozenset[str] = frozenset(),
) -> TenantBatch | FailedRun:
    """Fetch one tenant; never raises for Graph or data trouble (a :class:`FailedRun` says).

    ``known_trials``: the SKUs stored as all-trial, used when the subscriptions are refused.
    """
    tenant_id = integration.tenant_id
    clients: list[GraphClient] = []
    futures: list[Future[Any]] = []

    token: str | None = None

    def on_own_client(fn: Callable[[GraphClient], T]) -> Callable[[], T]:
        def run() -> T:
            client = connector.client(tenant_id, token=token)  # this thread's connections
            clients.append(client)
            return fn(client)
        return run

    users = _Users()
    try:
        token = connector.token(tenant_id)  # sign in once: the parallel calls share the token
        org_f = calls.submit(on_own_client(lambda c: c.get("/organization")))
        futures.append(org_f)
        if integration.sync_licenses:
            skus_f = calls.submit(on_own_client(lambda c: c.get_all("/subscribedSkus")))
            subs_f = calls.submit(on_own_client(_subscriptions))
            futures += [skus_f, subs_f]
        users = on_own_client(_fetch_users)()
        wait(futures)
        tenant = _tenant_info(tenant_id, org_f.result())
        licenses: list[LicenseRecord] | None = None
        subscriptions: list[SubscriptionRecord] | None = None
        warning: str | None = None
        if integration.sync_licenses:
            skus = skus_f.result()
            subscriptions, warning = subs_f.result()
            trials = _all_trial(subscriptions) if subscriptions is not None else known_trials
            free = list(free_skus)
            try:
                licenses = [license_record(s, product_names=product_names, free_skus=free,
                                           trial_sku_ids=trials) for s in skus]
            except ValueError as exc:
                raise GraphError(str(exc), tenant_id=tenant_id, call="GET /subscribedSkus",
                                 code="MalformedResponse") from None
    except Exception as exc:  # noqa: BLE001 - one tenant's failure must not stop the others
        wait(futures)
        secrets = [connector.settings.client_secret]
        return FailedRun(
            run_id=run_id, error=describe_error(exc, tenant_id, secrets),
            requests=sum(c.stats.requests for c in clients), retries=sum(c.stats.retries for c in clients),
            users=len(users) or None, client_request_id=getattr(exc, "client_request_id", None),
        )
    secrets = [connector.settings.client_secret]
    return TenantBatch(
        run_id=run_id, integration_id=integration.id, tenant=tenant, licenses=licenses,
        subscriptions=subscriptions, users=users.columns,
        user_licenses=(users.license_users, users.license_skus),
        requests=sum(c.stats.requests for c in clients), retries=sum(c.stats.retries for c in clients),
        warning=scrub_secrets(warning, secrets) if warning else None,
    )
