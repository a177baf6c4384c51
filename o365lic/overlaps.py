"""Which licenses overlap: the one rule, as a table of SKU pairs with the reason. Pure, no I/O.

A user holding both SKUs of a pair pays twice for the same service plans: the first SKU (the
one to keep) already includes what the second gives. The store keeps no service plans, so the
pairs are curated here from Microsoft's "Product names and service plan identifiers for
licensing" (``Service_Plan_Name`` per SKU); ``tests/test_insights.py`` checks them against the
service plans of the simulator's catalog. Free and viral SKUs never count: they cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OVERLAPS", "Overlap", "overlap_for"]


@dataclass(frozen=True)
class Overlap:
    """``keep`` (a skuPartNumber) already includes the service plans of ``extra``."""

    keep: str
    extra: str
    reason: str


_NAMES = {
    "SPE_E5": "Microsoft 365 E5", "SPE_E3": "Microsoft 365 E3", "SPB": "Microsoft 365 Business Premium",
    "O365_BUSINESS_PREMIUM": "Microsoft 365 Business Standard",
    "O365_BUSINESS_ESSENTIALS": "Microsoft 365 Business Basic", "ENTERPRISEPREMIUM": "Office 365 E5",
    "ENTERPRISEPACK": "Office 365 E3", "STANDARDPACK": "Office 365 E1",
    "EXCHANGEENTERPRISE": "Exchange Online (Plan 2)", "EXCHANGESTANDARD": "Exchange Online (Plan 1)",
    "EMS": "Enterprise Mobility + Security E3", "EMSPREMIUM": "Enterprise Mobility + Security E5",
    "AAD_PREMIUM": "Microsoft Entra ID P1", "AAD_PREMIUM_P2": "Microsoft Entra ID P2",
    "O365_BUSINESS": "Microsoft 365 Apps for business", "OFFICESUBSCRIPTION": "Microsoft 365 Apps for enterprise",
}

# keep -> (extra, what of it keep already includes)
_INCLUDES: dict[str, tuple[tuple[str, str], ...]] = {
    "SPE_E5": (
        ("SPE_E3", "everything in Microsoft 365 E3"),
        ("ENTERPRISEPREMIUM", "Office 365 E5"), ("ENTERPRISEPACK", "Office 365 E3"),
        ("STANDARDPACK", "the Office 365 E1 services"),
        ("EMSPREMIUM", "Enterprise Mobility + Security E5"), ("EMS", "Enterprise Mobility + Security E3"),
        ("EXCHANGEENTERPRISE", "an Exchange Online (Plan 2) mailbox"),
        ("EXCHANGESTANDARD", "a larger Exchange Online mailbox (Plan 2)"),
        ("AAD_PREMIUM_P2", "Microsoft Entra ID P2"), ("AAD_PREMIUM", "Microsoft Entra ID P1 (and P2)"),
        ("OFFICESUBSCRIPTION", "Microsoft 365 Apps for enterprise"),
    ),
    "SPE_E3": (
        ("ENTERPRISEPACK", "Office 365 E3"), ("STANDARDPACK", "the Office 365 E1 services"),
        ("EMS", "Enterprise Mobility + Security E3 (Intune, Entra ID P1)"),
        ("EXCHANGEENTERPRISE", "an Exchange Online (Plan 2) mailbox"),
        ("EXCHANGESTANDARD", "a larger Exchange Online mailbox (Plan 2)"),
        ("AAD_PREMIUM", "Microsoft Entra ID P1"),
        ("OFFICESUBSCRIPTION", "Microsoft 365 Apps for enterprise"),
        ("O365_BUSINESS_PREMIUM", "the mailbox, SharePoint, Teams and Office apps of Business Standard"),
        ("O365_BUSINESS_ESSENTIALS", "the mailbox, SharePoint and Teams of Business Basic"),
    ),
    "ENTERPRISEPREMIUM": (
        ("ENTERPRISEPACK", "everything in Office 365 E3"), ("STANDARDPACK", "the Office 365 E1 services"),
        ("EXCHANGEENTERPRISE", "an Exchange Online (Plan 2) mailbox"),
        ("EXCHANGESTANDARD", "a larger Exchange Online mailbox (Plan 2)"),
    ),
    "ENTERPRISEPACK": (
        ("STANDARDPACK", "the Office 365 E1 services"),
        ("EXCHANGEENTERPRISE", "an Exchange Online (Plan 2) mailbox"),
        ("EXCHANGESTANDARD", "a larger Exchange Online mailbox (Plan 2)"),
        ("OFFICESUBSCRIPTION", "Microsoft 365 Apps for enterprise"),
    ),
    "STANDARDPACK": (("EXCHANGESTANDARD", "an Exchange Online (Plan 1) mailbox"),),
    "SPB": (
        ("O365_BUSINESS_PREMIUM", "everything in Microsoft 365 Business Standard"),
        ("O365_BUSINESS_ESSENTIALS", "everything in Microsoft 365 Business Basic"),
        ("EXCHANGESTANDARD", "an Exchange Online (Plan 1) mailbox"),
        ("O365_BUSINESS", "Microsoft 365 Apps for business"),
        ("AAD_PREMIUM", "Microsoft Entra ID P1"),
        ("EMS", "Intune and Microsoft Entra ID P1 of Enterprise Mobility + Security E3"),
    ),
    "O365_BUSINESS_PREMIUM": (
        ("O365_BUSINESS_ESSENTIALS", "everything in Microsoft 365 Business Basic"),
        ("EXCHANGESTANDARD", "an Exchange Online (Plan 1) mailbox"),
        ("O365_BUSINESS", "Microsoft 365 Apps for business"),
    ),
    "O365_BUSINESS_ESSENTIALS": (("EXCHANGESTANDARD", "an Exchange Online (Plan 1) mailbox"),),
    "EXCHANGEENTERPRISE": (("EXCHANGESTANDARD", "a larger Exchange Online mailbox (Plan 2)"),),
    "EMSPREMIUM": (("EMS", "everything in Enterprise Mobility + Security E3"),
                   ("AAD_PREMIUM_P2", "Microsoft Entra ID P2"), ("AAD_PREMIUM", "Microsoft Entra ID P1 (and P2)")),
    "EMS": (("AAD_PREMIUM", "Microsoft Entra ID P1"),),
    "AAD_PREMIUM_P2": (("AAD_PREMIUM", "Microsoft Entra ID P1 (within P2)"),),
}

#: Every overlapping pair, the SKU to keep first.
OVERLAPS: tuple[Overlap, ...] = tuple(
    Overlap(keep, extra, f"{_NAMES.get(keep, keep)} already includes {what}")
    for keep, pairs in _INCLUDES.items() for extra, what in pairs
)
_BY_PAIR: dict[tuple[str, str], Overlap] = {(o.keep, o.extra): o for o in OVERLAPS}


def overlap_for(first: str, second: str) -> Overlap | None:
    """The overlap of two SKUs (part numbers, either order), or None."""
    a, b = first.strip().upper(), second.strip().upper()
    return _BY_PAIR.get((a, b)) or _BY_PAIR.get((b, a))
