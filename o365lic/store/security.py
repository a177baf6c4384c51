"""App users, groups and roles; who may see a restricted asset.

Each asset is visible to "All users with access to the organization" (the default) or
restricted to chosen groups. Administrators see everything. Without sign-in configured the
app has one local Administrator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from o365lic.store.audit import record_audit
from o365lic.store.database import Store
from o365lic.store.records import Role
from o365lic.text import clean_name

__all__ = [
    "ALL_USERS_LABEL",
    "LOCAL_ADMINISTRATOR",
    "ROLES",
    "SecurityError",
    "Viewer",
    "add_app_user",
    "add_group",
    "asset_groups",
    "list_app_users",
    "list_groups",
    "set_asset_security",
    "set_group_members",
    "viewer_for",
    "visibility_clause",
]

class SecurityError(ValueError):
    """A security setting that cannot be saved; the message says why."""


ROLES: tuple[Role, ...] = ("Administrator", "Manager", "Editor", "Creator", "Read-only")
ALL_USERS_LABEL = "All users with access to the organization"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their role and groups decide what they see and may do."""

    email: str
    display_name: str
    role: Role
    user_id: int | None = None
    group_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def sees_everything(self) -> bool:
        return self.role == "Administrator"


LOCAL_ADMINISTRATOR = Viewer(email="local", display_name="Local administrator", role="Administrator")


def visibility_clause(viewer: Viewer, asset_column: str = "asset_id",
                      restricted_column: str = "restricted") -> tuple[str, list[Any]]:
    """A SQL condition keeping only the assets ``viewer`` may see."""
    if viewer.sees_everything:
        return "TRUE", []
    if not viewer.group_ids:
        return f"NOT {restricted_column}", []
    marks = ", ".join("?" * len(viewer.group_ids))
    return (
        f"(NOT {restricted_column} OR {asset_column} IN "
        f"(SELECT flexible_asset_id FROM flexible_asset_groups WHERE group_id IN ({marks})))",
        sorted(viewer.group_ids),
    )


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise SecurityError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def add_app_user(
    store: Store, email: str, display_name: str | None, role: str, *, actor: str = "o365lic"
) -> int:
    """Add an app user (or change an existing user's role); returns the user's id."""
    checked = _check_role(role)
    address = clean_name(email).lower()
    if "@" not in address:
        raise SecurityError(f"{clean_name(email)!r} is not an e-mail address")
    name = clean_name(display_name) or None
    with store.transaction() as con:
        row = con.execute("SELECT id, role FROM app_users WHERE email = ?", [address]).fetchone()
        if row and row[1] == "Administrator" and checked != "Administrator":
            others = con.execute("SELECT count(*) FROM app_users WHERE role = 'Administrator' AND id <> ?",
                                 [row[0]]).fetchone()
            if not others or not others[0]:
                raise SecurityError(f"{address} is the last Administrator: make someone else Administrator first")
        if row:
            con.execute("UPDATE app_users SET role = ?, display_name = coalesce(?, display_name) WHERE id = ?",
                        [checked, name, row[0]])
            if row[1] != checked:
                record_audit(con, actor, "role", address, f"role {row[1]} → {checked}")
            return int(row[0])
        row = con.execute("INSERT INTO app_users (email, display_name, role) VALUES (?, ?, ?) RETURNING id",
                          [address, name or address, checked]).fetchone()
        assert row is not None
        record_audit(con, actor, "role", address, f"added as {checked}")
        return int(row[0])


def add_group(store: Store, name: str, *, actor: str = "o365lic") -> int:
    """Create a group (or return the one with that name)."""
    clean = clean_name(name)
    if not clean:
        raise SecurityError("a group needs a name")
    with store.transaction() as con:
        row = con.execute("SELECT id FROM app_groups WHERE lower(name) = lower(?)", [clean]).fetchone()
        if row:
            return int(row[0])
        row = con.execute("INSERT INTO app_groups (name) VALUES (?) RETURNING id", [clean]).fetchone()
        assert row is not None
        record_audit(con, actor, "group", clean, "created")
        return int(row[0])


def set_group_members(store: Store, group_id: int, user_ids: Iterable[int], *, actor: str = "o365lic") -> None:
    """Make exactly these users the group's members."""
    members = sorted(set(user_ids))
    with store.transaction() as con:
        group = con.execute("SELECT name FROM app_groups WHERE id = ?", [group_id]).fetchone()
        if not group:
            raise SecurityError(f"no group {group_id}")
        con.execute("DELETE FROM app_group_members WHERE group_id = ?", [group_id])
        for user_id in members:
            con.execute("INSERT INTO app_group_members (group_id, user_id) VALUES (?, ?)", [group_id, user_id])
        emails = [str(r[0]) for r in con.execute(
            "SELECT email FROM app_users WHERE id IN (SELECT user_id FROM app_group_members WHERE group_id = ?) "
            "ORDER BY email", [group_id]).fetchall()]
        record_audit(con, actor, "group", group[0],
                     "members: " + (", ".join(emails) if emails else "none"))


def list_app_users(store: Store) -> list[tuple[int, str, str, str]]:
    """(id, email, display name, role) of every app user."""
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]))
            for r in store.rows("SELECT id, email, display_name, role FROM app_users ORDER BY email")]


def list_groups(store: Store) -> list[tuple[int, str, list[int]]]:
    """(id, name, member user ids) of every group."""
    return [(int(r[0]), str(r[1]), [int(u) for u in r[2] or []]) for r in store.rows(
        "SELECT g.id, g.name, list(m.user_id ORDER BY m.user_id) FILTER (WHERE m.user_id IS NOT NULL) "
        "FROM app_groups g LEFT JOIN app_group_members m ON m.group_id = g.id GROUP BY g.id, g.name ORDER BY g.name")]


def viewer_for(store: Store, email: str, display_name: str | None = None) -> Viewer:
    """The viewer for a signed-in person.

    While the app has no Administrator, the first person to sign in becomes one; anybody
    else signing in for the first time is added as Read-only.
    """
    address = email.strip().lower()
    rows = store.rows("SELECT id, display_name, role FROM app_users WHERE email = ?", [address])
    no_administrator = not store.scalar("SELECT count(*) FROM app_users WHERE role = 'Administrator'")
    if not rows or no_administrator:
        add_app_user(store, address, display_name, "Administrator" if no_administrator else "Read-only",
                     actor=f"sign-in:{address}")
        rows = store.rows("SELECT id, display_name, role FROM app_users WHERE email = ?", [address])
    user_id, name, role = rows[0]
    groups = frozenset(int(r[0]) for r in store.rows(
        "SELECT group_id FROM app_group_members WHERE user_id = ?", [user_id]))
    return Viewer(email=address, display_name=str(name), role=_check_role(str(role)),
                  user_id=int(user_id), group_ids=groups)


def asset_groups(store: Store, asset_id: int) -> tuple[bool, list[int]]:
    """(restricted, group ids) of one asset's security settings."""
    restricted = store.scalar("SELECT restricted FROM flexible_assets WHERE id = ?", [asset_id])
    if restricted is None:
        raise SecurityError(f"no asset {asset_id}")
    groups = [int(r[0]) for r in store.rows(
        "SELECT group_id FROM flexible_asset_groups WHERE flexible_asset_id = ? ORDER BY group_id", [asset_id])]
    return bool(restricted), groups


def set_asset_security(
    store: Store, asset_id: int, *, restricted: bool, group_ids: Iterable[int] = (), actor: str = "o365lic"
) -> None:
    """Visible to all users with access to the organization, or restricted to these groups.

    Allowed on synced assets too: security settings are not synced fields.
    """
    groups = sorted(set(group_ids))
    if restricted and not groups:
        raise SecurityError("choose at least one group to restrict the asset to")
    with store.transaction() as con:
        asset = con.execute(
            "SELECT a.name, o.name FROM flexible_assets a LEFT JOIN organizations o ON o.id = a.organization_id "
            "WHERE a.id = ?", [asset_id]).fetchone()
        if not asset:
            raise SecurityError(f"no asset {asset_id}")
        names = {int(r[0]): str(r[1]) for r in con.execute("SELECT id, name FROM app_groups").fetchall()}
        unknown = [g for g in groups if g not in names]
        if unknown:
            raise SecurityError(f"no group {unknown[0]}")
        con.execute("UPDATE flexible_assets SET restricted = ? WHERE id = ?", [restricted, asset_id])
        con.execute("DELETE FROM flexible_asset_groups WHERE flexible_asset_id = ?", [asset_id])
        for group_id in groups if restricted else []:
            con.execute("INSERT INTO flexible_asset_groups (flexible_asset_id, group_id) VALUES (?, ?)",
                        [asset_id, group_id])
        detail = ("restricted to " + ", ".join(sorted(names[g] for g in groups))) if restricted else ALL_USERS_LABEL
        record_audit(con, actor, "security settings", f"license {asset[0]} of {asset[1] or 'no organization'}",
                     detail)
