"""Real Microsoft 365 SKU identifiers used by the simulator.

GUIDs, part numbers, display names and a few service plans per SKU are taken from
Microsoft's "Product names and service plan identifiers for licensing" reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "PRODUCT_NAMES_PATH",
    "SKU_CATALOG",
    "CatalogServicePlan",
    "CatalogSku",
    "SkuRole",
    "catalog_entry",
    "product_names_csv",
]

SkuRole = Literal["suite", "addon", "free", "company"]


@dataclass(frozen=True)
class CatalogServicePlan:
    """One service plan included in a SKU."""

    service_plan_id: str
    service_plan_name: str


@dataclass(frozen=True)
class CatalogSku:
    """One product of the catalog: GUID, part number, display name, role, plans."""

    sku_id: str
    sku_part_number: str
    display_name: str
    role: SkuRole
    service_plans: tuple[CatalogServicePlan, ...]


def _plans(*pairs: tuple[str, str]) -> tuple[CatalogServicePlan, ...]:
    return tuple(CatalogServicePlan(service_plan_id=pid, service_plan_name=name) for name, pid in pairs)


_EXCHANGE_P1 = ("EXCHANGE_S_STANDARD", "9aaf7827-d63c-4b61-89c3-182f06f82e5c")
_EXCHANGE_P2 = ("EXCHANGE_S_ENTERPRISE", "efb87545-963c-4e0d-99df-69c6916d9eb0")
_EXCHANGE_FOUNDATION = ("EXCHANGE_S_FOUNDATION", "113feb6c-3fe4-4440-bddc-54d774bf0318")
_TEAMS = ("TEAMS1", "57ff2da0-773e-42df-b2af-ffb7a2317929")
_SP_STANDARD = ("SHAREPOINTSTANDARD", "c7699d2e-19aa-44de-8edf-1736da088ca1")
_SP_ENTERPRISE = ("SHAREPOINTENTERPRISE", "5dbe027f-2339-4123-9542-606e4d348a72")
_OFFICE_WEB = ("SHAREPOINTWAC", "e95bec33-7c88-4a70-8e19-b10bd9d0c014")
_PLANNER = ("PROJECTWORKMANAGEMENT", "b737dad2-2f6c-4c65-90e3-ca563267e8b9")
_FORMS_E1 = ("FORMS_PLAN_E1", "159f4cd6-e380-449f-a816-af1a9ef76344")
_APPS_ENTERPRISE = ("OFFICESUBSCRIPTION", "43de0ff5-c92c-492b-9116-175376d08c38")
_APPS_BUSINESS = ("OFFICE_BUSINESS", "094e7854-93fc-4d55-b2c0-3ab5369ebdc1")
_INTUNE = ("INTUNE_A", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5")
_ENTRA_P1 = ("AAD_PREMIUM", "41781fb2-bc02-4b7c-bd55-b576c07bb09d")
_ENTRA_P2 = ("AAD_PREMIUM_P2", "eec0eb4f-6444-4f95-aba0-50c24d67f998")
_DEFENDER_O365 = ("ATP_ENTERPRISE", "f20fedf3-f3c3-43c3-8267-2bfdd51c0939")
_DEFENDER_ENDPOINT = ("WINDEFATP", "871d91ec-ec1a-452b-a83f-bd76c7d770ef")
_PHONE_SYSTEM = ("MCOEV", "4828c8ec-dc2e-4779-b502-87ac9ce28ab7")

_ENTRIES: tuple[CatalogSku, ...] = (
    CatalogSku(
        "05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3", "suite",
        _plans(_EXCHANGE_P2, _SP_ENTERPRISE, _OFFICE_WEB, _TEAMS, _APPS_ENTERPRISE, _INTUNE, _ENTRA_P1, _PLANNER),
    ),
    CatalogSku(
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5", "Microsoft 365 E5", "suite",
        _plans(_EXCHANGE_P2, _SP_ENTERPRISE, _OFFICE_WEB, _TEAMS, _APPS_ENTERPRISE, _INTUNE, _ENTRA_P1,
               _ENTRA_P2, _DEFENDER_O365, _DEFENDER_ENDPOINT, _PHONE_SYSTEM),
    ),
    CatalogSku(
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB", "Microsoft 365 Business Premium", "suite",
        _plans(_EXCHANGE_P1, _SP_STANDARD, _OFFICE_WEB, _TEAMS, _INTUNE, _ENTRA_P1, _DEFENDER_O365, _FORMS_E1),
    ),
    CatalogSku(
        "3b555118-da6a-4418-894f-7df1e2096870", "O365_BUSINESS_ESSENTIALS", "Microsoft 365 Business Basic", "suite",
        _plans(_EXCHANGE_P1, _SP_STANDARD, _OFFICE_WEB, _TEAMS, _PLANNER, _FORMS_E1),
    ),
    CatalogSku(
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3", "O365_BUSINESS_PREMIUM", "Microsoft 365 Business Standard", "suite",
        _plans(_EXCHANGE_P1, _SP_STANDARD, _OFFICE_WEB, _TEAMS, _APPS_BUSINESS, _PLANNER, _FORMS_E1),
    ),
    CatalogSku(
        "6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", "Office 365 E3", "suite",
        _plans(_EXCHANGE_P2, _SP_ENTERPRISE, _OFFICE_WEB, _TEAMS, _APPS_ENTERPRISE, _PLANNER),
    ),
    CatalogSku(
        "4b9405b0-7788-4568-add1-99614e613b69", "EXCHANGESTANDARD", "Exchange Online (Plan 1)", "addon",
        _plans(_EXCHANGE_P1, ("BPOS_S_TODO_1", "5e62787c-c316-451f-b873-1d05acd4d12c"),
               ("INTUNE_O365", "882e1d05-acd1-4ccb-8708-6ee03664b117")),
    ),
    CatalogSku(
        "c5928f49-12ba-48f7-ada3-0d743a3601d5", "VISIOCLIENT", "Visio Plan 2", "addon",
        _plans(("VISIO_CLIENT_SUBSCRIPTION", "663a804f-1c30-4ff0-9915-9db84f0d1cea"),
               ("VISIOONLINE", "2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f"), _EXCHANGE_FOUNDATION),
    ),
    CatalogSku(
        "53818b1b-4a27-454b-8896-0dba576410e6", "PROJECTPROFESSIONAL", "Planner and Project Plan 3", "addon",
        _plans(("PROJECT_PROFESSIONAL", "818523f5-016b-4355-9be8-ed6944946ea7"),
               ("SHAREPOINT_PROJECT", "fe71d6c3-a2ea-4499-9778-da042bf08063"),
               ("PROJECT_CLIENT_SUBSCRIPTION", "fafd7243-e5c1-4a3a-9e40-495efcb1d3c3"), _EXCHANGE_FOUNDATION),
    ),
    CatalogSku(
        "f8a1db68-be16-40ed-86d5-cb42ce701560", "POWER_BI_PRO", "Power BI Pro", "addon",
        _plans(("BI_AZURE_P2", "70d33638-9c74-4d01-bfd3-562de28bd4ba"), _EXCHANGE_FOUNDATION),
    ),
    CatalogSku(
        "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", "Enterprise Mobility + Security E3", "addon",
        _plans(_ENTRA_P1, _INTUNE, ("RMS_S_PREMIUM", "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3"),
               ("MFA_PREMIUM", "8a256a2b-b617-496d-b51b-e76466e88db0"), _EXCHANGE_FOUNDATION),
    ),
    CatalogSku(  # appliesTo "Company": tenant-wide, never assigned to a user
        "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0", "MCOPSTNC", "Communications Credits", "company",
        _plans(("MCOPSTNC", "505e180f-f7e0-4b65-91d4-00d670bbd18c")),
    ),
    CatalogSku(
        "710779e8-3d4a-4c88-adb9-386c958d1fdf", "TEAMS_EXPLORATORY", "Microsoft Teams Exploratory", "free",
        _plans(_TEAMS, _EXCHANGE_P1, _SP_STANDARD, _OFFICE_WEB, _PLANNER, _FORMS_E1),
    ),
    CatalogSku(
        "f30db892-07e9-47e9-837c-80727f46fd3d", "FLOW_FREE", "Microsoft Power Automate Free", "free",
        _plans(("FLOW_P2_VIRAL", "50e68c76-46c6-4674-81f9-75456511b170"),
               ("DYN365_CDS_VIRAL", "17ab22cd-a0b3-4536-910a-cb6eb12696c0"), _EXCHANGE_FOUNDATION),
    ),
    CatalogSku(
        "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", "POWER_BI_STANDARD", "Microsoft Fabric (Free)", "free",
        _plans(("BI_AZURE_P0", "2049e525-b859-401b-b2a0-e0a31c4b1fe4"),
               ("PURVIEW_DISCOVERY", "c948ea65-2053-4a5a-8a62-9eaaaf11b522"), _EXCHANGE_FOUNDATION),
    ),
)

#: skuPartNumber -> catalog entry, in catalog order.
SKU_CATALOG: dict[str, CatalogSku] = {entry.sku_part_number: entry for entry in _ENTRIES}

_BY_ID: dict[str, CatalogSku] = {entry.sku_id: entry for entry in _ENTRIES}


def catalog_entry(sku_id_or_part_number: str) -> CatalogSku | None:
    """Return the catalog entry for a skuId GUID or a skuPartNumber, or None."""
    return SKU_CATALOG.get(sku_id_or_part_number) or _BY_ID.get(sku_id_or_part_number.lower())


PRODUCT_NAMES_PATH = "/licensing/product-names.csv"


def product_names_csv() -> bytes:
    """The catalog in the shape of Microsoft's licensing reference CSV ("Product names and
    service plan identifiers for licensing"): UTF-8 with a BOM, one row per service plan,
    with the stray and non-breaking spaces the real file has."""
    lines = [("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
             "Service_Plans_Included_Friendly_Names")]
    for index, sku in enumerate(SKU_CATALOG.values()):
        name = sku.display_name.replace(" ", "\u00a0", 1) if index % 3 == 0 else sku.display_name + " "
        for plan in sku.service_plans or (CatalogServicePlan("00000000-0000-0000-0000-000000000000", "NONE"),):
            quoted = f'"{name}"' if "," in name else name
            lines.append(f"{quoted},{sku.sku_part_number},{sku.sku_id},{plan.service_plan_name},"
                         f"{plan.service_plan_id},{plan.service_plan_name}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
