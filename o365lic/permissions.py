"""What each role may do: the one permission policy, checked by the pages before every action.

The store keeps who has which role (:mod:`o365lic.store.security`); this module says what a
role allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from o365lic.store import Role, Viewer

__all__ = ["ROLE_PERMISSIONS", "Permission", "can"]

Permission = Literal["view", "edit_assets", "sync", "manage_integrations", "manage_users"]

#: The permissions of each role, from the most to the least.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    "Administrator": frozenset({"view", "edit_assets", "sync", "manage_integrations", "manage_users"}),
    "Manager": frozenset({"view", "edit_assets", "sync", "manage_integrations"}),
    "Editor": frozenset({"view", "edit_assets", "sync"}),
    "Creator": frozenset({"view", "edit_assets"}),
    "Read-only": frozenset({"view"}),
}


def can(viewer: Viewer, permission: Permission) -> bool:
    """True when the viewer's role allows ``permission``."""
    return permission in ROLE_PERMISSIONS.get(viewer.role, frozenset())
