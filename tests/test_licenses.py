"""License arithmetic (SPEC section 3) and Microsoft's product-name file."""

from __future__ import annotations

import pytest

from o365lic.licenses import (
    BUILTIN_PRODUCT_NAMES,
    free_reason,
    license_counts,
    license_name,
    license_record,
    parse_product_names,
)
from tests.conftest import PRODUCT_NAMES_CSV


@pytest.mark.parametrize(
    ("status", "prepaid", "consumed", "active", "unused", "over"),
    [
        ("Enabled", {"enabled": 25, "warning": 0, "suspended": 0, "lockedOut": 0}, 20, 25, 5, 0),
        ("Enabled", {"enabled": 10, "warning": 0, "suspended": 0, "lockedOut": 0}, 13, 10, 0, 3),
        ("Enabled", {"enabled": 10, "warning": 0, "suspended": 0, "lockedOut": 0}, 10, 10, 0, 0),
        # warning units are in their renewal grace period and still work
        ("Warning", {"enabled": 0, "warning": 15, "suspended": 0, "lockedOut": 0}, 12, 15, 3, 0),
        ("Warning", {"enabled": 10, "warning": 5, "suspended": 0, "lockedOut": 0}, 9, 15, 6, 0),
        # mixed: only enabled + warning count, suspended units never do
        ("Enabled", {"enabled": 10, "warning": 5, "suspended": 7, "lockedOut": 0}, 12, 15, 3, 0),
        ("Suspended", {"enabled": 0, "warning": 0, "suspended": 30, "lockedOut": 0}, 8, 0, 0, 8),
        ("Suspended", {"enabled": 5, "warning": 5, "suspended": 30, "lockedOut": 0}, 8, 0, 0, 8),
        ("LockedOut", {"enabled": 0, "warning": 0, "suspended": 0, "lockedOut": 12}, 4, 0, 0, 4),
        ("Deleted", {"enabled": 20, "warning": 0, "suspended": 0, "lockedOut": 0}, 0, 0, 0, 0),
        ("SomethingNew", {"enabled": 20}, 3, 0, 0, 3),
        ("Enabled", {"enabled": None, "warning": None}, None, 0, 0, 0),
        ("Enabled", {}, 0, 0, 0, 0),
        ("Enabled", None, 2, 0, 0, 2),
    ],
)
def test_arithmetic_table(status, prepaid, consumed, active, unused, over) -> None:
    counts = license_counts(status, prepaid, consumed)
    assert (counts.active, counts.consumed, counts.unused, counts.over_assigned) == (
        active, consumed or 0, unused, over)
    assert counts.unused >= 0 and counts.over_assigned >= 0
    assert counts.active - counts.consumed == counts.unused - counts.over_assigned


def test_units_kept_beside_the_counts() -> None:
    counts = license_counts("Warning", {"enabled": 10, "warning": 5, "suspended": 2, "lockedOut": 1}, 4)
    units = (counts.enabled_units, counts.warning_units, counts.suspended_units, counts.locked_out_units)
    assert units == (10, 5, 2, 1)
    assert counts.prepaid_units == 18


def test_a_non_number_unit_count_is_refused() -> None:
    with pytest.raises(ValueError, match="unit count"):
        license_counts("Enabled", {"enabled": "lots"}, 1)


@pytest.mark.parametrize(
    ("part", "prepaid", "trial", "expected"),
    [
        ("FLOW_FREE", 10000, False, "free SKU"),
        ("TEAMS_EXPLORATORY", 100, False, "free SKU"),
        ("POWER_BI_STANDARD", 1000000, False, "free SKU"),
        (" flow_free ", 1, False, "free SKU"),
        ("SOME_VIRAL_THING", 10000, False, "10,000+ units"),
        ("SOME_VIRAL_THING", 9999, False, None),
        ("SPE_E5", 25, True, "trial"),
        ("SPE_E3", 25, False, None),
    ],
)
def test_free_viral_and_trial_skus_are_flagged(part, prepaid, trial, expected) -> None:
    assert free_reason(part, prepaid, all_trial=trial) == expected


def test_the_free_list_is_editable() -> None:
    assert free_reason("FLOW_FREE", 5, free_skus=["VISIOCLIENT"]) is None
    assert free_reason("VISIOCLIENT", 5, free_skus=["VISIOCLIENT"]) == "free SKU"


def test_license_record_from_a_graph_sku() -> None:
    sku = {
        "capabilityStatus": "Warning", "consumedUnits": 9,
        "prepaidUnits": {"enabled": 10, "warning": 5, "suspended": 0, "lockedOut": 0},
        "skuId": "06EBC4EE-1BB5-47DD-8120-11324BC54E06", "skuPartNumber": "SPE_E5",
        "subscriptionIds": ["a", "b"],
    }
    record = license_record(sku, product_names={})
    assert record.sku_id == "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
    assert record.license_name == "Microsoft 365 E5"
    assert (record.counts.active, record.counts.unused) == (15, 6)
    assert not record.is_free
    assert record.subscription_ids == ("a", "b")


def test_license_record_refuses_a_sku_without_id() -> None:
    with pytest.raises(ValueError, match="skuId"):
        license_record({"skuId": "nope", "skuPartNumber": "X"}, product_names={})


def test_license_name_falls_back_to_the_part_number() -> None:
    unknown = "11111111-2222-3333-4444-555555555555"
    assert license_name(unknown, "MYSTERY_SKU", {}) == "MYSTERY_SKU"
    assert license_name(unknown, "MYSTERY_SKU", {unknown: "Mystery Suite"}) == "Mystery Suite"


def test_parse_microsofts_product_names_file() -> None:
    names = parse_product_names(PRODUCT_NAMES_CSV.read_text(encoding="utf-8"))
    assert len(names) > 500
    assert names["05e9a617-0261-4cee-bb44-138d3ef5d965"] == "Microsoft 365 E3"
    assert names["f30db892-07e9-47e9-837c-80727f46fd3d"] == "Microsoft Power Automate Free"
    # no stray or non-breaking spaces survive
    assert all(n == n.strip() and "\u00a0" not in n and "  " not in n for n in names.values())
    # the built-in names agree with Microsoft's file
    for sku_id, name in BUILTIN_PRODUCT_NAMES.items():
        assert names[sku_id] == name


def test_parse_product_names_handles_bom_nbsp_and_spaces() -> None:
    text = ("\ufeffProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,X\r\n"
            "Contoso\u00a0Suite  ,CONTOSO, 11111111-2222-3333-4444-555555555555 ,P,x,y\r\n"
            "Contoso Suite again,CONTOSO,11111111-2222-3333-4444-555555555555,Q,x,y\r\n")
    assert parse_product_names(text) == {"11111111-2222-3333-4444-555555555555": "Contoso Suite"}


@pytest.mark.parametrize("text", ["", "a,b\n1,2\n", "Product_Display_Name,GUID\nx,not-a-guid\n"])
def test_parse_product_names_rejects_files_that_are_not_the_reference(text: str) -> None:
    with pytest.raises(ValueError):
        parse_product_names(text)


def _sku(status: str, prepaid: dict, consumed: int = 0, **extra) -> dict:
    return {"skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965", "skuPartNumber": "SPE_E3",
            "capabilityStatus": status, "prepaidUnits": prepaid, "consumedUnits": consumed, **extra}


def test_a_tenant_wide_sku_is_flagged_with_its_own_reason() -> None:
    record = license_record(_sku("Enabled", {"enabled": 500}, appliesTo="Company"), product_names={})
    assert (record.free_reason, record.is_free, record.counts.unused) == ("tenant-wide", True, 500)
    user_sku = license_record(_sku("Enabled", {"enabled": 500}, appliesTo="User"), product_names={})
    assert user_sku.free_reason is None
    # exactly as Microsoft sends it: "company" is not Microsoft's value
    assert license_record(_sku("Enabled", {"enabled": 5}, appliesTo="company"), product_names={}).free_reason is None


def test_a_deleted_sku_has_no_active_units_and_statuses_are_compared_exactly() -> None:
    deleted = license_record(_sku("Deleted", {"enabled": 20}, 3), product_names={})
    assert (deleted.counts.active, deleted.counts.unused, deleted.counts.over_assigned) == (0, 0, 3)
    # Microsoft sends PascalCase; anything else is not an active status
    for status in ("enabled", "ENABLED", "warning"):
        assert license_record(_sku(status, {"enabled": 20}), product_names={}).counts.active == 0
    assert license_record(_sku("Enabled", {"enabled": 20}), product_names={}).counts.active == 20


def test_a_sku_mixing_enabled_with_suspended_and_locked_out_units() -> None:
    mixed = license_record(_sku("Enabled", {"enabled": 10, "warning": 2, "suspended": 5, "lockedOut": 3}, 14),
                           product_names={})
    c = mixed.counts
    assert (c.active, c.consumed, c.unused, c.over_assigned) == (12, 14, 0, 2)
    assert (c.suspended_units, c.locked_out_units, c.prepaid_units) == (5, 3, 20)
    locked = license_record(_sku("LockedOut", {"enabled": 10, "lockedOut": 3}, 4), product_names={})
    assert (locked.counts.active, locked.counts.over_assigned) == (0, 4)


def test_names_from_the_tenant_lose_control_characters() -> None:
    record = license_record(_sku("Enabled", {"enabled": 1}) | {"skuId": "11111111-1111-1111-1111-111111111111",
                                                              "skuPartNumber": "EVIL\x1b[31m_SKU\x00"},
                            product_names={"11111111-1111-1111-1111-111111111111": "Nice\x07 Name\x1b[0m"})
    assert (record.sku_part_number, record.license_name) == ("EVIL_SKU", "Nice Name")
