"""Merging a sync's Microsoft users into the organizations' contacts, for a group of tenants.

Set-based over the group (the users are a registered frame ``g_users`` with their
integration and organization): no statement per user. Each organization appears at most once
in one call (the landing runs tenants of the same organization in turn), so every tenant
sees the contacts that the previous one left, exactly as if they had synced one by one.

How a Microsoft user finds its contact: its own object id; else, among contacts no current
user of this tenant holds, any alias (mail or proxy address), then the user principal name,
then first and last name; each contact and each user is matched at most once. Everybody
else becomes a new contact, marked as created by the integration.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

__all__ = ["CONTACT_FIELDS", "USERS_FRAME", "merge_contacts"]

#: The contact columns a sync writes, as they are named in the ``g_users`` frame.
CONTACT_FIELDS: tuple[str, ...] = (
    "user_principal_name", "display_name", "given_name", "surname", "mail", "proxy_addresses",
    "account_enabled",
)
#: The name the landing registers the group's users under.
USERS_FRAME = "g_users"

_SET_FIELDS = ", ".join(f"{f} = m.{f}" for f in CONTACT_FIELDS)

_CLAIM_RULES: tuple[str, ...] = (
    (
        "list_has_any("
        " list_filter(list_append(coalesce(c.proxy_addresses, []::VARCHAR[]), lower(c.mail)), lambda x: x IS NOT NULL),"
        " list_filter(list_append(coalesce(s.proxy_addresses, []::VARCHAR[]), lower(s.mail)), lambda x: x IS NOT NULL))"
    ),
    "lower(c.user_principal_name) = lower(s.user_principal_name)",
    (
        "c.given_name IS NOT NULL AND c.surname IS NOT NULL AND lower(c.given_name) = lower(s.given_name) "
        "AND lower(c.surname) = lower(s.surname)"
    ),
)

#: The group's organizations: every statement narrows ``contacts`` to them first, so that the
#: database skips the other organizations' row groups (cost and memory follow the group).
_GROUP_ORGS = f"(SELECT DISTINCT organization_id FROM {USERS_FRAME})"
_GROUP_CONTACTS = f"(SELECT * FROM contacts WHERE organization_id IN {_GROUP_ORGS})"

#: Users of the group whose object id is no contact of their organization yet.
_UNCLAIMED = f"""
SELECT s.* FROM {USERS_FRAME} s
WHERE NOT EXISTS (SELECT 1 FROM {_GROUP_CONTACTS} k
                  WHERE k.organization_id = s.organization_id AND k.user_id = s.user_id)
"""

_CHANGED = " OR ".join(f"contacts.{f} IS DISTINCT FROM m.{f}" for f in CONTACT_FIELDS)

# only the contacts whose fields changed are written: an unchanged re-sync writes nothing
_UPDATE_KNOWN = f"""
UPDATE contacts SET {_SET_FIELDS}, updated_at = $now
FROM {USERS_FRAME} m
WHERE contacts.organization_id = m.organization_id AND contacts.user_id = m.user_id AND ({_CHANGED})
  AND contacts.organization_id IN {_GROUP_ORGS}
"""

_CLAIMS: tuple[str, ...] = tuple(
    f"""
    UPDATE contacts SET user_id = m.user_id, {_SET_FIELDS}, updated_at = $now
    FROM (
        SELECT * FROM (
            SELECT c.id AS contact_id, s.*,
                   row_number() OVER (PARTITION BY c.id ORDER BY s.user_id) AS by_contact,
                   row_number() OVER (PARTITION BY s.integration_id, s.user_id ORDER BY c.id) AS by_user
            FROM ({_UNCLAIMED}) s
            JOIN {_GROUP_CONTACTS} c ON c.organization_id = s.organization_id
              AND (c.user_id IS NULL
                   OR (coalesce(c.integration_id, s.integration_id) = s.integration_id
                       AND NOT EXISTS (SELECT 1 FROM {USERS_FRAME} u
                                       WHERE u.integration_id = s.integration_id AND u.user_id = c.user_id)))
              AND ({rule})
        ) WHERE by_contact = 1 AND by_user = 1
    ) m
    WHERE contacts.id = m.contact_id AND contacts.organization_id IN {_GROUP_ORGS}
    """
    for rule in _CLAIM_RULES
)

_INSERT_NEW = f"""
INSERT INTO contacts (organization_id, integration_id, user_id, {", ".join(CONTACT_FIELDS)},
    created_by_integration, created_at, updated_at)
SELECT DISTINCT ON (s.organization_id, s.user_id) s.organization_id, s.integration_id, s.user_id,
    {", ".join("s." + f for f in CONTACT_FIELDS)}, TRUE, $now, $now
FROM ({_UNCLAIMED}) s
"""


def merge_contacts(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """Refresh, claim or create the contacts of every user in ``g_users`` (see the module)."""
    con.execute(_UPDATE_KNOWN, {"now": now})
    row = con.execute(f"SELECT count(*) FROM ({_UNCLAIMED})").fetchone()
    if row and row[0]:  # a re-sync of known users has nothing to match
        for sql in _CLAIMS:
            con.execute(sql, {"now": now})
        con.execute(_INSERT_NEW, {"now": now})
