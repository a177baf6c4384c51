"""License arithmetic and SKU facts (SPEC section 3). Pure functions, no I/O.

Active counts the units that work: ``enabled + warning`` while the SKU's
``capabilityStatus`` is ``Enabled`` or ``Warning``; a ``Suspended``, ``LockedOut`` or
``Deleted`` SKU has no active units. Statuses are compared exactly as Microsoft sends them
(PascalCase). Consumed is Microsoft's ``consumedUnits``; Unused and Over-assigned are the two
sides of their difference, never negative.

Whether a SKU counts as free (:func:`free_reason`) is decided here and only here: the sync
and the free-SKU list editor both call it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ACTIVE_STATUSES",
    "BUILTIN_PRODUCT_NAMES",
    "DEFAULT_FREE_SKUS",
    "FREE_REASONS",
    "FREE_SKU_UNIT_THRESHOLD",
    "CapabilityStatus",
    "FreeReason",
    "LicenseCounts",
    "LicenseRecord",
    "free_reason",
    "license_counts",
    "license_name",
    "license_record",
    "parse_product_names",
]

from o365lic.text import clean_name

CapabilityStatus = Literal["Enabled", "Warning", "Suspended", "LockedOut", "Deleted"]
FreeReason = Literal["tenant-wide", "free SKU", "10,000+ units", "trial"]
FREE_REASONS: tuple[FreeReason, ...] = ("tenant-wide", "free SKU", "10,000+ units", "trial")

ACTIVE_STATUSES: frozenset[CapabilityStatus] = frozenset({"Enabled", "Warning"})
FREE_SKU_UNIT_THRESHOLD = 10_000

#: Free and viral SKUs that cost nothing: left out of charts and totals by default.
DEFAULT_FREE_SKUS: frozenset[str] = frozenset({
    "FLOW_FREE",
    "TEAMS_EXPLORATORY",
    "Microsoft_Teams_Exploratory_Dept",
    "TEAMS_FREE",
    "POWER_BI_STANDARD",
    "POWERAPPS_VIRAL",
    "POWERAPPS_DEV",
    "CCIBOTS_PRIVPREV_VIRAL",
    "RIGHTSMANAGEMENT_ADHOC",
    "WINDOWS_STORE",
    "MICROSOFT_BUSINESS_CENTER",
    "STREAM",
    "FORMS_PRO",
})

#: Names for the commonest SKUs, used until Microsoft's full reference file is loaded.
BUILTIN_PRODUCT_NAMES: Mapping[str, str] = {
    "05e9a617-0261-4cee-bb44-138d3ef5d965": "Microsoft 365 E3",
    "06ebc4ee-1bb5-47dd-8120-11324bc54e06": "Microsoft 365 E5",
    "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46": "Microsoft 365 Business Premium",
    "3b555118-da6a-4418-894f-7df1e2096870": "Microsoft 365 Business Basic",
    "f245ecc8-75af-4f8e-b61f-27d8114de5f3": "Microsoft 365 Business Standard",
    "4b9405b0-7788-4568-add1-99614e613b69": "Exchange Online (Plan 1)",
    "19ec0d23-8335-4cbd-94ac-6050e30712fa": "Exchange Online (Plan 2)",
    "c5928f49-12ba-48f7-ada3-0d743a3601d5": "Visio Plan 2",
    "53818b1b-4a27-454b-8896-0dba576410e6": "Planner and Project Plan 3",
    "f8a1db68-be16-40ed-86d5-cb42ce701560": "Power BI Pro",
    "6fd2c87f-b296-42f0-b197-1e91e994b900": "Office 365 E3",
    "18181a46-0d4e-45cd-891e-60aabd171b4e": "Office 365 E1",
    "efccb6f7-5641-4e0e-bd10-b4976e1bf68e": "Enterprise Mobility + Security E3",
    "078d2b04-f1bd-4111-bbd4-b4b1b354cef4": "Microsoft Entra ID P1",
    "66b55226-6b4f-492c-910c-a3b7a3c9d993": "Microsoft 365 F3",
    "710779e8-3d4a-4c88-adb9-386c958d1fdf": "Microsoft Teams Exploratory",
    "f30db892-07e9-47e9-837c-80727f46fd3d": "Microsoft Power Automate Free",
    "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235": "Microsoft Fabric (Free)",
    "639dec6b-bb19-468b-871c-c5c441c4b0cb": "Microsoft Copilot for Microsoft 365",
}

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class LicenseCounts:
    """The numbers of one SKU in one tenant."""

    active: int
    consumed: int
    unused: int
    over_assigned: int
    enabled_units: int
    warning_units: int
    suspended_units: int
    locked_out_units: int

    @property
    def prepaid_units(self) -> int:
        """All units Microsoft lists for the SKU, working or not."""
        return self.enabled_units + self.warning_units + self.suspended_units + self.locked_out_units


@dataclass(frozen=True)
class LicenseRecord:
    """One "Office 365 Licenses" asset as the sync computes it from a ``subscribedSku``."""

    sku_id: str
    sku_part_number: str
    license_name: str
    status: str
    counts: LicenseCounts
    free_reason: FreeReason | None
    subscription_ids: tuple[str, ...] = ()

    @property
    def is_free(self) -> bool:
        return self.free_reason is not None


def _units(value: Any) -> int:
    """A unit count from Graph: missing or null is 0; never negative."""
    if value is None or isinstance(value, bool):
        return 0
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        raise ValueError(f"not a unit count: {value!r}") from None


def license_counts(
    capability_status: str, prepaid_units: Mapping[str, Any] | None, consumed_units: Any
) -> LicenseCounts:
    """Active, Consumed, Unused and Over-assigned for one SKU (SPEC section 3)."""
    prepaid = prepaid_units or {}
    enabled = _units(prepaid.get("enabled"))
    warning = _units(prepaid.get("warning"))
    suspended = _units(prepaid.get("suspended"))
    locked_out = _units(prepaid.get("lockedOut"))
    consumed = _units(consumed_units)
    active = enabled + warning if capability_status in ACTIVE_STATUSES else 0
    return LicenseCounts(
        active=active,
        consumed=consumed,
        unused=max(active - consumed, 0),
        over_assigned=max(consumed - active, 0),
        enabled_units=enabled,
        warning_units=warning,
        suspended_units=suspended,
        locked_out_units=locked_out,
    )


def free_reason(
    sku_part_number: str,
    prepaid_total: int,
    *,
    free_skus: Iterable[str] = DEFAULT_FREE_SKUS,
    all_trial: bool = False,
    tenant_wide: bool = False,
) -> FreeReason | None:
    """Why a SKU counts as free, viral, tenant-wide or trial, or None for a paid SKU.

    ``tenant_wide``: the SKU ``appliesTo`` the company, not users (its consumedUnits stay 0, so
    its units are never "unused seats"). ``all_trial``: every subscription behind it is a trial.
    """
    if tenant_wide:
        return "tenant-wide"
    if sku_part_number.strip().upper() in {s.strip().upper() for s in free_skus}:
        return "free SKU"
    if prepaid_total >= FREE_SKU_UNIT_THRESHOLD:
        return "10,000+ units"
    if all_trial:
        return "trial"
    return None


def license_name(sku_id: str, sku_part_number: str, product_names: Mapping[str, str]) -> str:
    """Microsoft's product display name for ``sku_id``, else the part number."""
    key = sku_id.strip().lower()
    name = product_names.get(key) or BUILTIN_PRODUCT_NAMES.get(key) or sku_part_number or key
    return clean_name(name) or key


def license_record(
    sku: Mapping[str, Any],
    *,
    product_names: Mapping[str, str],
    free_skus: Iterable[str] = DEFAULT_FREE_SKUS,
    trial_sku_ids: frozenset[str] = frozenset(),
) -> LicenseRecord:
    """Turn one Graph ``subscribedSku`` object into a license record."""
    sku_id = str(sku.get("skuId") or "").strip().lower()
    if not _GUID.match(sku_id):
        raise ValueError(f"subscribedSku without a valid skuId: {sku.get('skuId')!r}")
    part = clean_name(sku.get("skuPartNumber") or "")
    status = clean_name(sku.get("capabilityStatus") or "")
    counts = license_counts(status, sku.get("prepaidUnits"), sku.get("consumedUnits"))
    return LicenseRecord(
        sku_id=sku_id,
        sku_part_number=part,
        license_name=license_name(sku_id, part, product_names),
        status=status,
        counts=counts,
        free_reason=free_reason(
            part, counts.prepaid_units, free_skus=free_skus, all_trial=sku_id in trial_sku_ids,
            tenant_wide=sku.get("appliesTo") == "Company",
        ),
        subscription_ids=tuple(str(s) for s in sku.get("subscriptionIds") or ()),
    )


def _clean(cell: str) -> str:
    return " ".join(cell.replace("\u00a0", " ").split())


def parse_product_names(text: str) -> dict[str, str]:
    """SKU GUID (lower case) -> product display name, from Microsoft's licensing CSV.

    The file has one row per service plan, a UTF-8 BOM, stray and non-breaking spaces;
    the first name seen for a GUID wins.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [_clean(h).lower() for h in next(reader)]
    except StopIteration:
        raise ValueError("the product names file is empty") from None
    try:
        name_col = header.index("product_display_name")
        guid_col = header.index("guid")
    except ValueError:
        raise ValueError(
            "the product names file has no Product_Display_Name and GUID columns"
        ) from None
    names: dict[str, str] = {}
    for row in reader:
        if len(row) <= max(name_col, guid_col):
            continue
        guid = _clean(row[guid_col]).lower()
        name = _clean(row[name_col])
        if _GUID.match(guid) and name and guid not in names:
            names[guid] = name
    if not names:
        raise ValueError("the product names file lists no products")
    return names
