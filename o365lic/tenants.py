"""Connecting tenants: validate, resolve a domain to the tenant id, match an organization."""

from __future__ import annotations

import csv
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from o365lic.config import DEFAULT_TIMEOUT, Settings
from o365lic.graph import (
    GraphConnector,
    GraphError,
    build_session,
    resolve_tenant_id,
    validate_tenant_input,
)
from o365lic.store import Integration, IntegrationError, Store, add_integration
from o365lic.store.integrations import NewIntegration, add_integrations

__all__ = ["ImportReport", "connect_tenant", "discover_tenants", "import_tenants"]


#: Tenant lookups of one ``tenants import`` in flight at once (over one shared HTTPS session).
IMPORT_LOOKUPS = 32
#: Rows of one ``tenants import`` connected in one transaction (:func:`add_integrations`: a few
#: statements per chunk, ~7 ms of CPU, plus ~0.1 ms per row; 1,000 rows take 0.40 s of CPU in
#: chunks of 50, 0.18 s in chunks of 200; the last chunk waits for the last lookup).
CONNECT_CHUNK = 200


def _resolve(settings: Settings, tenant: str, session: requests.Session | None = None) -> str:
    """The tenant GUID of a GUID or verified domain (one request), else IntegrationError."""
    validate_tenant_input(tenant)
    try:
        return resolve_tenant_id(settings, tenant, session=session)
    except GraphError as exc:
        raise IntegrationError(f"{tenant.strip()}: {exc.message}") from None


def _wanted(tenant: str, tenant_id: str, organization: str) -> NewIntegration:
    """The tenant to connect: a domain typed by the user is kept as its default domain."""
    domain = tenant.strip().lower() if tenant_id != tenant.strip().lower() else None
    return NewIntegration(tenant_id, organization, default_domain=domain)


def _connect_resolved(store: Store, tenant: str, tenant_id: str, organization: str, actor: str) -> Integration:
    wanted = _wanted(tenant, tenant_id, organization)
    return add_integration(store, wanted.tenant_id, wanted.organization, default_domain=wanted.default_domain,
                           actor=actor)


def connect_tenant(store: Store, settings: Settings, tenant: str, organization: str, *,
                   actor: str = "o365lic") -> Integration:
    """Connect ``tenant`` (GUID or verified domain) and match it to ``organization``.

    The tenant is checked with the sign-in service first; any problem raises ValueError
    (bad input, unknown tenant, already connected) and nothing is saved.
    """
    if not " ".join(organization.split()):
        raise IntegrationError("choose an organization or type the name of a new one")
    return _connect_resolved(store, tenant, _resolve(settings, tenant), organization, actor)


@dataclass
class ImportReport:
    """What ``tenants import`` did: tenants added, and the bad rows by line number."""

    added: list[Integration] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_tenants(store: Store, settings: Settings, text: str, *, actor: str = "o365lic") -> ImportReport:
    """Connect every row of a ``tenant_id,organization`` CSV; bad rows are reported, not fatal.

    The tenants are looked up with the sign-in service concurrently (one request per distinct
    tenant, :data:`IMPORT_LOOKUPS` at once over one session) and connected in the file's order
    as their lookups come back.
    """
    report = ImportReport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["tenant_id", "organization"]:
        report.errors.append((1, "the first line must be the header tenant_id,organization"))
        return report
    rows: list[tuple[int, str, str]] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            report.errors.append((line, "a row needs a tenant id and an organization"))
            continue
        rows.append((line, row[0], row[1]))
    keys = list(dict.fromkeys(tenant.strip().lower() for _, tenant, _ in rows))
    workers = max(1, min(IMPORT_LOOKUPS, len(keys)))
    session = build_session(settings, DEFAULT_TIMEOUT, pool_size=workers)  # connections shared by the lookups
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            lookups: dict[str, Future[str]] = {key: pool.submit(_resolve, settings, key, session) for key in keys}
            # rows are connected in the file's order as their lookups come back, while later
            # lookups are still on their way; one open file for the whole batch of connects
            with store.hold():
                _connect_rows(store, rows, lookups, report, actor)
    finally:
        session.close()
    report.errors.sort()
    return report


def _connect_rows(store: Store, rows: list[tuple[int, str, str]], lookups: dict[str, Future[str]],
                  report: ImportReport, actor: str) -> None:
    """Connect the rows in chunks of :data:`CONNECT_CHUNK` with :func:`add_integrations`, one
    transaction and a few statements each; a refused row is reported by its line and changes
    nothing. A chunk that fails in the database is rolled back whole and connected again row by
    row, so each bad row is reported (and changes nothing) exactly as it would be on its own."""
    for start in range(0, len(rows), CONNECT_CHUNK):
        ready: list[tuple[int, NewIntegration]] = []
        for line, tenant, organization in rows[start:start + CONNECT_CHUNK]:
            try:
                tenant_id = lookups[tenant.strip().lower()].result()
                if not " ".join(organization.split()):
                    raise IntegrationError("choose an organization or type the name of a new one")
            except ValueError as exc:
                report.errors.append((line, str(exc)))
            else:
                ready.append((line, _wanted(tenant, tenant_id, organization)))
        try:
            results = add_integrations(store, [wanted for _, wanted in ready], actor=actor)
        except Exception:  # noqa: BLE001 - the chunk is rolled back; each row again on its own
            results = []
            for _, wanted in ready:
                try:
                    results.extend(add_integrations(store, [wanted], actor=actor))
                except ValueError as exc:
                    results.append(IntegrationError(str(exc)))
        for (line, _), result in zip(ready, results, strict=True):
            if isinstance(result, IntegrationError):
                report.errors.append((line, str(result)))
            else:
                report.added.append(result)


def discover_tenants(settings: Settings, connector: GraphConnector | None = None) -> list[dict[str, str]]:
    """Partner mode: customer tenants from ``GET /contracts`` of the MSP's own tenant."""
    if not settings.partner_tenant:
        raise IntegrationError("set O365LIC_PARTNER_TENANT to the MSP's own tenant to discover customers")
    connector = connector or GraphConnector(settings)
    with connector.client(settings.partner_tenant) as client:
        contracts = client.get_all("/contracts")
    return [
        {
            "tenant_id": str(c.get("customerId") or "").lower(),
            "name": str(c.get("displayName") or ""),
            "domain": str(c.get("defaultDomainName") or ""),
        }
        for c in contracts if c.get("customerId")
    ]
