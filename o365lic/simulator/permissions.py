"""Graph application permissions: which ones a tenant granted, which ones each resource needs.

From Microsoft's documentation of each call (application permissions, least privileged first):

- ``GET /organization``: Organization.Read.All; also Directory.Read.All, Organization.ReadWrite.All,
  Directory.ReadWrite.All.
- ``GET /subscribedSkus``: LicenseAssignment.Read.All; also Organization.Read.All,
  Organization.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
- ``GET /directory/subscriptions``: Organization.Read.All; also Directory.Read.All,
  Organization.ReadWrite.All.
- ``GET /users``: User.Read.All; also User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
- ``GET /contracts``: Directory.Read.All; also Directory.ReadWrite.All.

A tenant lacking every permission of a resource gets ``403 Authorization_RequestDenied``
("Insufficient privileges to complete the operation."); its token is still issued.
"""

from __future__ import annotations

__all__ = ["DEFAULT_GRANTED", "REQUIRED", "allowed"]

#: What o365lic asks customers to grant (README), granted by default in every simulated tenant.
DEFAULT_GRANTED: frozenset[str] = frozenset({"Organization.Read.All", "User.Read.All", "Directory.Read.All"})

#: Resource -> the application permissions any one of which grants reading it.
REQUIRED: dict[str, frozenset[str]] = {
    "organization": frozenset({"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All",
                               "Directory.ReadWrite.All"}),
    "subscribedSkus": frozenset({"LicenseAssignment.Read.All", "Organization.Read.All",
                                 "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
    "directory/subscriptions": frozenset({"Organization.Read.All", "Directory.Read.All",
                                          "Organization.ReadWrite.All"}),
    "users": frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
    "contracts": frozenset({"Directory.Read.All", "Directory.ReadWrite.All"}),
}


def allowed(collection: str, granted: frozenset[str] | set[str]) -> bool:
    """True when ``granted`` holds one of the permissions that ``collection`` needs."""
    needed = REQUIRED.get(collection)
    return needed is None or bool(needed & set(granted))
