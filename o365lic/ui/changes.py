"""Every change a page makes to the store, in one place.

Each function takes the acting viewer (``who``, read from the database at the moment of the
action by :func:`o365lic.ui.actions.act`) so that the audit trail names them: the store records
every change in the audit log itself, with the ``actor=`` given here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from o365lic import reports
from o365lic.store import (
    DisconnectMode,
    DisconnectReport,
    Integration,
    SecurityError,
    Store,
    Viewer,
    accept_suggested_matches,
    add_app_user,
    add_discovered_tenants,
    add_group,
    create_organizations_for,
    disconnect_tenant,
    ignore_tenants,
    match_tenants,
    revert_matches,
    save_free_skus,
    set_asset_security,
    set_group_members,
    update_asset,
    update_integration,
)
from o365lic.tenants import connect_tenant, discover_tenants
from o365lic.ui.context import AppContext
from o365lic.wording import interval_problem

__all__ = [
    "MatchAction",
    "add_tenants_found",
    "connect",
    "disconnect",
    "match",
    "save_free_sku_list",
    "save_group",
    "save_members",
    "save_notes",
    "save_security",
    "save_sync_settings",
    "save_user",
]

MatchAction = Literal["accept", "create", "ignore", "revert", "match"]


def connect(ctx: AppContext, who: Viewer, tenant: str, organization: str) -> Integration:
    """Check ``tenant`` with Microsoft and connect it to ``organization``."""
    return connect_tenant(ctx.store, ctx.settings, tenant, organization, actor=who.email)


def add_tenants_found(ctx: AppContext, who: Viewer) -> tuple[int, list[tuple[str, str]]]:
    """Partner discovery: (tenants found, [(tenant id, match state)] of those newly recorded)."""
    found = discover_tenants(ctx.settings)
    return len(found), [(t, str(s)) for t, s in add_discovered_tenants(ctx.store, found, actor=who.email)]


def match(store: Store, who: Viewer, action: MatchAction, tenant_ids: list[str],
          organization: str | None = None) -> int:
    """A match action on some tenants; returns how many changed."""
    if action == "accept":
        return accept_suggested_matches(store, tenant_ids, actor=who.email)
    if action == "create":
        return create_organizations_for(store, tenant_ids, actor=who.email)
    if action == "ignore":
        return ignore_tenants(store, tenant_ids, actor=who.email)
    if action == "revert":
        return revert_matches(store, tenant_ids, actor=who.email)
    if not organization:
        raise ValueError("choose an organization first")
    return match_tenants(store, tenant_ids, organization, actor=who.email)


def save_sync_settings(store: Store, who: Viewer, tenant_id: str, *, sync_licenses: bool | None = None,
                       paused: bool | None = None, interval_minutes: float | None = None) -> Integration:
    """Change one tenant's Licenses setting, pause state or interval (1 minute .. one year)."""
    if interval_minutes is not None:
        problem = interval_problem(interval_minutes)
        if problem:
            raise ValueError(problem)
        interval_minutes = int(interval_minutes)
    return update_integration(store, tenant_id, sync_licenses=sync_licenses, paused=paused,
                              sync_interval_minutes=interval_minutes, actor=who.email)  # type: ignore[arg-type]


def disconnect(store: Store, who: Viewer, tenant_id: str, mode: DisconnectMode) -> DisconnectReport:
    """Disconnect a tenant, keeping or deleting its data."""
    return disconnect_tenant(store, tenant_id, mode, actor=who.email)


def save_free_sku_list(store: Store, who: Viewer, part_numbers: list[str] | None) -> int:
    """Replace the free-SKU list (None: the default list); returns the licenses re-flagged."""
    return save_free_skus(store, part_numbers, actor=who.email)


def _visible_asset(store: Store, who: Viewer, asset_id: int) -> None:
    if not reports.asset_visible(store, asset_id, who):
        raise SecurityError("this license asset is restricted to groups you are not in")


def save_notes(store: Store, who: Viewer, asset_id: int, notes: str | None) -> None:
    """One asset's notes (the viewer must still see the asset)."""
    _visible_asset(store, who, asset_id)
    update_asset(store, asset_id, notes=notes)


def save_security(store: Store, who: Viewer, asset_id: int, restricted: bool, group_ids: Iterable[int]) -> None:
    """One asset's security settings, recorded in the audit log."""
    _visible_asset(store, who, asset_id)
    groups = sorted(set(group_ids)) if restricted else []
    set_asset_security(store, asset_id, restricted=restricted, group_ids=groups, actor=who.email)


def save_user(store: Store, who: Viewer, email: str, name: str | None, role: str) -> str:
    """Add an app user or change a role, recorded in the audit log; returns the e-mail saved."""
    add_app_user(store, email, name, role, actor=who.email)
    return email.strip().lower()


def save_group(store: Store, who: Viewer, name: str) -> str:
    """Create a group, recorded in the audit log; returns its name."""
    add_group(store, name, actor=who.email)
    return " ".join(name.split())


def save_members(store: Store, who: Viewer, group_id: int, group_name: str, members: list[int]) -> None:
    """Make exactly these users the group's members, recorded in the audit log."""
    set_group_members(store, group_id, members, actor=who.email)
