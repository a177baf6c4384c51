"""The Settings page: connect and match tenants, the Licenses setting, pause and resume, free SKUs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from page_helpers import (  # noqa: F401
    app_db,
    as_viewer,
    edit_tenants,
    open_page,
    plain,
    row_counts,
    runtime,
    section,
    select_rows,
    synced,
    tenants_table,
    undiscovered,
)
from streamlit.testing.v1 import AppTest

from o365lic import demo
from o365lic.simulator import generate_tenants
from o365lic.store import (
    ROLES,
    Viewer,
    get_integration,
    list_app_users,
    list_groups,
    list_integrations,
    list_organizations,
)
from o365lic.wording import DISCONNECT_LABELS

PAGE = "pages/settings.py"


def _connect(at: AppTest, tenant: str, organization: str | None = None, new_name: str = "") -> AppTest:
    at.text_input(key="connect_tenant_input").input(tenant)
    if organization is not None:
        at.selectbox(key="connect_organization_choice").select(organization)
    at.text_input(key="connect_organization_new").input(new_name)
    at.button[[b.label for b in at.button].index("Connect tenant")].click().run()
    assert not at.exception
    return at


SECTIONS = ["Tenants", "Sync settings", "Free SKUs", "Prices", "Alerts", "Disconnect", "Users & groups",
            "Audit log"]
SUBHEADERS = {"Tenants": ["Connect a tenant", "Discover & match tenants"],
              "Sync settings": ["Sync settings per tenant"], "Free SKUs": ["Free SKUs"],
              "Prices": ["Prices"], "Alerts": ["Alert thresholds"],
              "Disconnect": ["Disconnect a tenant"], "Users & groups": ["Users & groups"],
              "Audit log": ["Audit log"]}


def test_renders_with_the_demo_tenants(app_db: Path) -> None:
    at = open_page(PAGE)
    assert at.segmented_control(key="settings_section").options == SECTIONS
    assert at.segmented_control(key="settings_section").value == "Tenants"
    assert at.text_input(key="connect_tenant_input").label == "Tenant ID or domain"
    for name in SECTIONS:  # only the section in view is built
        section(at, name)
        assert [s.value for s in at.subheader] == SUBHEADERS[name]
    _, store = runtime(app_db)
    section(at, "Sync settings")
    _, table = tenants_table(at)
    assert sorted(table["tenant_id"]) == sorted(i.tenant_id for i in list_integrations(store))
    assert table["licenses"].all() and not table["paused"].any() and set(table["interval_minutes"]) == {60}
    # one table and one Save, not a block of widgets per tenant
    assert not at.checkbox and not at.number_input
    assert [b.label for b in at.button if b.key == "save_tenant_settings"] == ["Save"]


def test_bad_tenant_input_is_an_error_and_saves_nothing(app_db: Path) -> None:
    _, store = runtime(app_db)
    before = len(list_integrations(store))
    organizations = len(list_organizations(store))
    at = _connect(open_page(PAGE), "not a tenant!!", new_name="Somebody New")
    assert len(at.error) == 1
    assert "is not a tenant id" in at.error[0].value
    assert not at.success
    assert len(list_integrations(store)) == before
    assert len(list_organizations(store)) == organizations


def test_unknown_tenant_is_an_error(app_db: Path) -> None:
    _, store = runtime(app_db)
    before = len(list_integrations(store))
    at = _connect(open_page(PAGE), "00000000-0000-0000-0000-000000000001", new_name="Nobody")
    assert len(at.error) == 1
    assert "Microsoft does not know this tenant" in at.error[0].value
    assert len(list_integrations(store)) == before


def test_already_connected_tenant_is_an_error(app_db: Path) -> None:
    _, store = runtime(app_db)
    existing = list_integrations(store)[0]
    assert existing.default_domain
    at = _connect(open_page(PAGE), existing.default_domain, organization=existing.organization)
    assert len(at.error) == 1
    assert "already connected" in at.error[0].value
    assert len(list_integrations(store)) == 6


def test_missing_organization_is_an_error(app_db: Path) -> None:
    _, store = runtime(app_db)
    partner = demo.demo_simulator().partner_tenant_id
    at = _connect(open_page(PAGE), partner, new_name="   ")
    assert len(at.error) == 1
    assert len(list_integrations(store)) == 6


def test_a_tenant_the_simulator_knows_connects_to_a_new_organization(app_db: Path) -> None:
    _, store = runtime(app_db)
    partner = demo.demo_simulator().partner_tenant_id
    at = _connect(open_page(PAGE), partner.upper(), new_name="Our Own MSP")
    assert not at.error, [e.value for e in at.error]
    assert len(at.success) == 1 and "Our Own MSP" in at.success[0].value
    assert at.text_input(key="connect_tenant_input").value == ""
    integration = get_integration(store, partner)
    assert integration is not None and integration.organization == "Our Own MSP"
    assert integration.status == "Never synced"
    assert len(list_integrations(store)) == 7
    # the new organization can be matched to, and the new tenant has its own settings row
    assert "Our Own MSP" in at.selectbox(key="connect_organization_choice").options
    _, table = tenants_table(section(at, "Sync settings"))
    assert table.set_index("tenant_id").loc[partner, "licenses"]


def _save(at: AppTest) -> AppTest:
    at.button(key="save_tenant_settings").click().run()
    assert not at.exception
    return at


def test_licenses_setting_is_saved(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[2].tenant_id
    at = section(open_page(PAGE), "Sync settings")
    _save(edit_tenants(at, {tenant: {"licenses": False}}))
    assert get_integration(store, tenant).sync_licenses is False
    assert len(at.success) == 1 and "Licenses off" in at.success[0].value
    assert not tenants_table(at)[1].set_index("tenant_id").loc[tenant, "licenses"]
    others = [i.sync_licenses for i in list_integrations(store) if i.tenant_id != tenant]
    assert all(others)
    _save(edit_tenants(at, {tenant: {"licenses": True}}))
    assert get_integration(store, tenant).sync_licenses is True


def test_save_without_edits_changes_nothing(app_db: Path) -> None:
    _, store = runtime(app_db)
    before = list_integrations(store)
    at = _save(section(open_page(PAGE), "Sync settings"))
    assert [w.value for w in at.warning] == [
        "Nothing to save: change a Licenses box, a Paused box or an interval first."]
    assert list_integrations(store) == before


def test_pause_and_resume(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[0].tenant_id
    at = section(open_page(PAGE), "Sync settings")
    edit_tenants(at, {tenant: {"select": True}})
    at.button(key="pause_selected").click().run()
    assert not at.exception
    assert get_integration(store, tenant).status == "Paused"
    assert "1 tenant paused" in at.success[0].value
    table = tenants_table(at)[1].set_index("tenant_id")
    assert table.loc[tenant, "status"] == "Paused" and table.loc[tenant, "paused"]
    assert not table["select"].any()  # the selection is cleared after the action
    assert {i.status for i in list_integrations(store) if i.tenant_id != tenant} == {"Never synced"}
    at.switch_page("pages/sync.py")
    at.run()
    statuses = dict(zip(at.dataframe[0].value["tenant_id"], at.dataframe[0].value["status"]))
    assert statuses[tenant] == "Paused"
    at.switch_page(PAGE)
    at.run()
    section(at, "Sync settings")
    edit_tenants(at, {tenant: {"select": True}})
    at.button(key="resume_selected").click().run()
    assert get_integration(store, tenant).status == "Never synced"
    assert not tenants_table(at)[1].set_index("tenant_id").loc[tenant, "paused"]


def test_bulk_pause_of_many_and_unpause_by_the_paused_box(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenants = [i.tenant_id for i in list_integrations(store)]
    at = section(open_page(PAGE), "Sync settings")
    edit_tenants(at, {t: {"select": True} for t in tenants[:4]})
    at.button(key="pause_selected").click().run()
    assert "4 tenants paused" in at.success[0].value
    assert [get_integration(store, t).paused for t in tenants] == [True] * 4 + [False] * 2
    _save(edit_tenants(at, {tenants[0]: {"paused": False}}))
    assert [get_integration(store, t).paused for t in tenants] == [False] + [True] * 3 + [False] * 2


def test_search_and_status_filter_narrow_the_table(app_db: Path) -> None:
    _, store = runtime(app_db)
    contoso = next(i for i in list_integrations(store) if i.organization == "Contoso")
    at = section(open_page(PAGE), "Sync settings")
    at.text_input(key="tenant_search").input("contoso").run()
    assert list(tenants_table(at)[1]["tenant_id"]) == [contoso.tenant_id]
    at.text_input(key="tenant_search").input("").run()
    at.selectbox(key="tenant_status_filter").select("Paused").run()
    assert "No tenant matches this search." in [c.value for c in at.caption]


def test_many_tenants_are_one_page_at_a_time_and_a_page_two_edit_is_saved(app_db: Path) -> None:
    _, store = runtime(app_db)
    with store.transaction() as con:  # 150 more tenants (6 demo ones): two pages
        con.execute("INSERT INTO organizations (name) SELECT printf('Extra Customer %03d', range) FROM range(150)")
        con.execute("INSERT INTO integrations (tenant_id, tenant_name, organization_id) "
                    "SELECT printf('00000000-0000-4000-8000-%012d', id), name, id FROM organizations "
                    "WHERE name LIKE 'Extra Customer %'")
    at = section(open_page(PAGE), "Sync settings")
    assert "156 tenants of 156" in [c.value for c in at.caption]
    assert len(tenants_table(at)[1]) == 100  # one bounded grid, not a row per tenant on one screen
    assert at.number_input(key="tenant_settings_page").label == "Page (of 2)"
    at.number_input(key="tenant_settings_page").set_value(2).run()
    _, page_two = tenants_table(at)
    assert len(page_two) == 56 and "Tenants 101–156 shown" in [c.value for c in at.caption]
    last = str(page_two["tenant_id"].iloc[-1])
    _save(edit_tenants(at, {last: {"paused": True}}))
    assert [i.tenant_id for i in list_integrations(store) if i.paused] == [last]
    at.text_input(key="tenant_search").input("extra customer 149").run()  # a narrower search: back to one page
    assert len(tenants_table(at)[1]) == 1 and not at.number_input


# --------------------------------------------------------------------------- discover & match

DEMO = {t.display_name: t.tenant_id for t in generate_tenants(demo.DEMO_TENANTS, demo.DEMO_SEED)}


def _match_table(at: AppTest, state: str):
    tables = [d for d in at.dataframe if d.key and d.key.startswith(f"match_table_{state}_")]
    assert len(tables) == 1, [d.key for d in at.dataframe]
    return tables[0].value


def _rows_of(at: AppTest, state: str, *names: str) -> list[int]:
    table = _match_table(at, state)
    return [table.index[table["tenant_name"] == name][0] for name in names]


def _states(store) -> dict[str, tuple[str, str | None]]:
    return {i.tenant_name: (i.match_state, i.organization) for i in list_integrations(store)}


def _discovered(app_db: Path, *organizations: str) -> tuple[AppTest, object]:
    store = undiscovered(app_db, organizations)
    at = open_page(PAGE)
    assert at.radio(key="match_filter").options == ["Unmatched", "Matched", "Ignored"]
    assert not list_integrations(store)
    at.button(key="discover_tenants").click().run()
    assert not at.exception
    return at, store


def _act(at: AppTest, state: str, names: tuple[str, ...], button: str) -> AppTest:
    select_rows(at, f"match_table_{state}_", _rows_of(at, state, *names))
    at.run()  # the selection reruns the page, which enables the actions
    assert f"{len(names)} tenant" in " ".join(c.value for c in at.caption)
    at.button(key=button).click().run()
    assert not at.exception
    return at


def test_discover_lists_the_demo_tenants_unmatched_or_matched(app_db: Path) -> None:
    at, store = _discovered(app_db, "Contoso Ltd", "Fabrikam")
    assert [s.value for s in at.success] == [
        "Discovered 6 customer tenants: 5 new unmatched, 1 new matched by exact organization name, 0 already known."]
    assert _states(store)["Fabrikam"] == ("matched", "Fabrikam")  # the exact name matched at once
    assert at.radio(key="match_filter").value == "Unmatched"
    unmatched = _match_table(at, "unmatched")
    assert sorted(unmatched["tenant_name"]) == sorted(set(DEMO) - {"Fabrikam"})
    contoso = unmatched.set_index("tenant_name").loc["Contoso"]
    assert contoso["suggestion"] == "Contoso Ltd" and contoso["reason"]
    assert pd.isna(unmatched.set_index("tenant_name").loc["Woodgrove Bank", "suggestion"])
    # nothing selected yet: the actions wait for a selection
    assert at.button(key="accept_suggested_match_unmatched").disabled
    at.radio(key="match_filter").set_value("Matched").run()
    assert list(_match_table(at, "matched")["tenant_name"]) == ["Fabrikam"]
    at.radio(key="match_filter").set_value("Ignored").run()
    assert not [d for d in at.dataframe if d.key and d.key.startswith("match_table_")]
    assert "No ignored tenants." in [c.value for c in at.caption]
    # discovering again adds nothing twice
    at.button(key="discover_tenants").click().run()
    assert "0 new unmatched, 0 new matched by exact organization name, 6 already known" in at.success[0].value
    assert len(list_integrations(store)) == 6


def test_unmatched_tenants_are_not_in_active_integrations_and_do_not_sync(app_db: Path) -> None:
    at, _store = _discovered(app_db, "Fabrikam")
    at.switch_page("pages/sync.py")
    at.run()
    assert list(at.dataframe[0].value["organization"]) == ["Fabrikam"]
    at.button(key="start_manual_sync").click().run()
    assert [s.label for s in at.status] == ["Sync finished: 1 of 1 tenants OK"]


def test_accept_suggested_match(app_db: Path) -> None:
    at, store = _discovered(app_db, "Contoso Ltd")
    # a tenant without a suggestion among the chosen: an error, and nothing changes
    _act(at, "unmatched", ("Contoso", "Woodgrove Bank"), "accept_suggested_match_unmatched")
    assert len(at.error) == 1 and "no suggested match" in at.error[0].value
    assert "Nothing was changed" in at.error[0].value
    assert {s for s, _ in _states(store).values()} == {"unmatched"}

    _act(at, "unmatched", ("Contoso",), "accept_suggested_match_unmatched")
    assert not at.error
    assert [s.value for s in at.success] == [
        "Accept Suggested Match: 1 tenant matched to the suggested organization (Contoso)."]
    assert _states(store)["Contoso"] == ("matched", "Contoso Ltd")
    assert "Contoso" not in set(_match_table(at, "unmatched")["tenant_name"])
    at.radio(key="match_filter").set_value("Matched").run()
    matched = _match_table(at, "matched")
    assert list(zip(matched["tenant_name"], matched["organization"])) == [("Contoso", "Contoso Ltd")]


def test_bulk_create_ignore_revert_and_match_to(app_db: Path) -> None:
    at, store = _discovered(app_db, "Umbrella Holdings")
    organizations = len(list_organizations(store))

    _act(at, "unmatched", ("Northwind Traders", "Tailspin Toys"), "create_organization_unmatched")
    assert "Create Organization: 2 tenants matched" in at.success[0].value
    assert _states(store)["Northwind Traders"] == ("matched", "Northwind Traders")
    assert _states(store)["Tailspin Toys"] == ("matched", "Tailspin Toys")
    assert len(list_organizations(store)) == organizations + 2

    _act(at, "unmatched", ("Contoso", "Fabrikam"), "ignore_unmatched")
    assert "Ignore: 2 tenants ignored" in at.success[0].value
    assert {_states(store)[n] for n in ("Contoso", "Fabrikam")} == {("ignored", None)}
    assert set(_match_table(at, "unmatched")["tenant_name"]) == {"Woodgrove Bank", "Adventure Works"}
    at.radio(key="match_filter").set_value("Ignored").run()
    assert set(_match_table(at, "ignored")["tenant_name"]) == {"Contoso", "Fabrikam"}

    # Match To, in bulk, from the ignored list: needs an organization chosen
    select_rows(at, "match_table_ignored_", _rows_of(at, "ignored", "Contoso", "Fabrikam"))
    at.run()
    assert at.button(key="match_to_ignored").disabled
    at.selectbox(key="match_to_organization_ignored").select("Umbrella Holdings").run()
    at.button(key="match_to_ignored").click().run()
    assert not at.exception and not at.error
    assert "Match To: 2 tenants matched to Umbrella Holdings" in at.success[0].value
    assert {_states(store)[n] for n in ("Contoso", "Fabrikam")} == {("matched", "Umbrella Holdings")}

    at.radio(key="match_filter").set_value("Matched").run()
    assert set(_match_table(at, "matched")["tenant_name"]) == {
        "Northwind Traders", "Tailspin Toys", "Contoso", "Fabrikam"}
    _act(at, "matched", ("Contoso", "Northwind Traders"), "revert_match_matched")
    assert "Revert Match: 2 tenants unmatched" in at.success[0].value
    assert {_states(store)[n] for n in ("Contoso", "Northwind Traders")} == {("unmatched", None)}
    at.radio(key="match_filter").set_value("Unmatched").run()
    assert set(_match_table(at, "unmatched")["tenant_name"]) == {
        "Woodgrove Bank", "Adventure Works", "Contoso", "Northwind Traders"}


def test_change_match_of_a_matched_tenant(app_db: Path) -> None:
    _, store = runtime(app_db)  # the six demo tenants, connected and matched
    at = open_page(PAGE)
    at.radio(key="match_filter").set_value("Matched").run()
    assert len(_match_table(at, "matched")) == 6
    select_rows(at, "match_table_matched_", _rows_of(at, "matched", "Contoso"))
    at.run()
    at.selectbox(key="match_to_organization_matched").select("Fabrikam").run()
    at.button(key="change_match_matched").click().run()
    assert not at.exception and not at.error
    assert _states(store)["Contoso"] == ("matched", "Fabrikam")


# --------------------------------------------------------------------------- sync interval


def test_sync_interval_is_saved(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[1].tenant_id
    at = section(open_page(PAGE), "Sync settings")
    assert tenants_table(at)[1].set_index("tenant_id").loc[tenant, "interval_minutes"] == 60
    _save(edit_tenants(at, {tenant: {"interval_minutes": 15}}))
    assert get_integration(store, tenant).sync_interval_minutes == 15
    assert get_integration(store, tenant).sync_licenses is True
    assert len(at.success) == 1 and "every 15 minutes" in at.success[0].value
    assert tenants_table(at)[1].set_index("tenant_id").loc[tenant, "interval_minutes"] == 15
    assert {i.sync_interval_minutes for i in list_integrations(store) if i.tenant_id != tenant} == {60}


@pytest.mark.parametrize("minutes", [3_000_000_000, 0, 525_601, 2.5])
def test_an_interval_out_of_range_is_refused_and_nothing_saved(app_db: Path, minutes) -> None:
    _, store = runtime(app_db)
    first, second = (i.tenant_id for i in list_integrations(store)[:2])
    at = section(open_page(PAGE), "Sync settings")
    _save(edit_tenants(at, {first: {"licenses": False}, second: {"interval_minutes": minutes}}))
    assert not at.exception and not at.success
    assert len(at.error) == 1
    assert "from 1 to 525,600 (one year)" in at.error[0].value and "Nothing was saved" in at.error[0].value
    assert get_integration(store, first).sync_licenses is True  # the valid row was not saved either
    assert get_integration(store, second).sync_interval_minutes == 60


def test_an_interval_of_one_year_is_saved(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[1].tenant_id
    _save(edit_tenants(section(open_page(PAGE), "Sync settings"), {tenant: {"interval_minutes": 525_600}}))
    assert get_integration(store, tenant).sync_interval_minutes == 525_600


# --------------------------------------------------------------------------- disconnect


def _choose_disconnect(at: AppTest, tenant_id: str, mode: str) -> AppTest:
    section(at, "Disconnect")
    at.selectbox(key="disconnect_tenant").select(tenant_id)
    at.radio(key="disconnect_mode").set_value(DISCONNECT_LABELS[mode]).run()
    assert not at.exception
    return at


def _tenant_rows(store, tenant_id: str) -> dict[str, int]:
    integration = store.scalar("SELECT id FROM integrations WHERE tenant_id = ?", [tenant_id])
    asset_ids = "(SELECT id FROM flexible_assets WHERE integration_id = ?)"
    return {
        "assets": store.scalar("SELECT count(*) FROM flexible_assets WHERE integration_id = ?", [integration]),
        "tags": store.scalar(f"SELECT count(*) FROM flexible_asset_tags WHERE flexible_asset_id IN {asset_ids}",
                             [integration]),
        "snapshots": store.scalar("SELECT count(*) FROM license_snapshots WHERE integration_id = ?", [integration]),
        "subscriptions": store.scalar("SELECT count(*) FROM subscriptions WHERE integration_id = ?", [integration]),
        "runs": store.scalar("SELECT count(*) FROM sync_runs WHERE integration_id = ?", [integration]),
        "synced": store.scalar("SELECT count(*) FROM flexible_assets WHERE integration_id = ? AND synced",
                               [integration]),
    }


def test_disconnect_options_are_the_exact_labels(app_db: Path) -> None:
    at = section(open_page(PAGE), "Disconnect")
    assert at.radio(key="disconnect_mode").options == [
        "Permanently disconnect records from Office 365 but keep all data",
        "Permanently delete all data including all related/child records",
    ]
    assert at.radio(key="disconnect_mode").value is None
    # no confirmation step until a tenant and an option are chosen
    assert not [b for b in at.button if b.key == "confirm_disconnect"]


def test_disconnect_keep_data_needs_the_confirmation(app_db: Path) -> None:
    store = synced(app_db)
    tenant = DEMO["Tailspin Toys"]
    before, own = row_counts(store), _tenant_rows(store, tenant)
    assert own["assets"] > 0 and own["synced"] == own["assets"]
    at = _choose_disconnect(open_page(PAGE), tenant, "keep-data")
    assert any("cannot be undone" in w.value for w in at.warning)
    at.button(key="confirm_disconnect").click().run()  # nothing typed
    assert len(at.error) == 1 and at.error[0].value == "Type “Tailspin Toys” to confirm. Nothing was disconnected."
    at.text_input(key="disconnect_confirm").input("Tailspin")
    at.button(key="confirm_disconnect").click().run()  # not the name
    assert len(at.error) == 1 and row_counts(store) == before
    assert get_integration(store, tenant) is not None

    at.text_input(key="disconnect_confirm").input("tailspin toys")
    at.button(key="confirm_disconnect").click().run()
    assert not at.exception and not at.error
    assert len(at.success) == 1
    assert at.success[0].value.startswith("Disconnected Tailspin Toys")
    assert f"{own['assets']} license assets" in at.success[0].value and "kept" in at.success[0].value
    # SPEC section 8: every row stays; the assets are no longer marked synced; syncing stops
    assert row_counts(store) == before
    after = _tenant_rows(store, tenant)
    assert {k: v for k, v in after.items() if k != "synced"} == {k: v for k, v in own.items() if k != "synced"}
    assert after["synced"] == 0
    assert get_integration(store, tenant) is None
    assert at.selectbox(key="disconnect_tenant").value is None  # the form is reset
    assert tenant not in at.selectbox(key="disconnect_tenant").options


def test_disconnect_delete_data_needs_the_confirmation(app_db: Path) -> None:
    store = synced(app_db)
    tenant = DEMO["Woodgrove Bank"]
    before, own = row_counts(store), _tenant_rows(store, tenant)
    at = _choose_disconnect(open_page(PAGE), tenant, "delete-data")
    at.text_input(key="disconnect_confirm").input("Contoso")
    at.button(key="confirm_disconnect").click().run()
    assert len(at.error) == 1 and row_counts(store) == before

    at.text_input(key="disconnect_confirm").input(tenant)  # the tenant id confirms too
    at.button(key="confirm_disconnect").click().run()
    assert not at.exception and not at.error
    assert "deleted its data" in at.success[0].value
    assert f"{own['assets']} license assets, {own['tags']:,} tags" in at.success[0].value
    after = row_counts(store)
    # SPEC section 8: the tenant's assets, tags, snapshots, subscriptions and runs go; the type
    # stays (other tenants use it); organizations and contacts stay
    assert after == {**before,
                     "integrations": before["integrations"] - 1,
                     "flexible_assets": before["flexible_assets"] - own["assets"],
                     "flexible_asset_tags": before["flexible_asset_tags"] - own["tags"],
                     "license_snapshots": before["license_snapshots"] - own["snapshots"],
                     "subscriptions": before["subscriptions"] - own["subscriptions"],
                     "sync_runs": before["sync_runs"] - own["runs"]}
    assert after["flexible_asset_types"] == 1
    assert get_integration(store, tenant) is None


# --------------------------------------------------------------------------- users, groups, roles


def test_users_and_groups(app_db: Path) -> None:
    _, store = runtime(app_db)
    at = section(open_page(PAGE), "Users & groups")
    assert "Sign-in is not configured" in " ".join(c.value for c in at.caption)
    at.text_input(key="new_user_email").input("Ann@MSP.example")
    at.text_input(key="new_user_name").input("Ann")
    assert at.selectbox(key="new_user_role").options == list(ROLES)
    at.selectbox(key="new_user_role").select("Editor")
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert not at.exception and [s.value for s in at.success] == ["Saved ann@msp.example as Editor."]
    assert [u[1:] for u in list_app_users(store)] == [("ann@msp.example", "Ann", "Editor")]

    at.text_input(key="new_group_name").input("Finance")
    at.button[[b.label for b in at.button].index("Create group")].click().run()
    assert not at.exception
    (group_id, name, members), = list_groups(store)
    assert (name, members) == ("Finance", [])
    user_id = list_app_users(store)[0][0]
    at.selectbox(key="members_group").select(group_id)
    at.multiselect(key=f"members_of_{group_id}").select(user_id)
    at.button(key="save_members").click().run()
    assert not at.exception and "Finance has 1 member now." in [s.value for s in at.success]
    assert list_groups(store) == [(group_id, "Finance", [user_id])]
    users = [d for d in at.dataframe if "email" in d.value.columns][0].value
    assert users.set_index("email").loc["ann@msp.example", "groups"] == "Finance"

    at.text_input(key="new_user_email").input("not an address")
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert len(at.error) == 1 and "not an e-mail address" in at.error[0].value


def test_read_only_viewer_cannot_change_settings(app_db: Path, monkeypatch) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[0].tenant_id
    as_viewer(monkeypatch, Viewer(email="ro@msp.example", display_name="Ro", role="Read-only"))
    at = open_page(PAGE)
    assert at.segmented_control(key="settings_section").options == SECTIONS[:-1]  # no audit log
    assert at.button(key="discover_tenants").disabled
    captions = " ".join(c.value for c in section(at, "Sync settings").caption)
    assert "Your role (Read-only) cannot connect, match or disconnect tenants" in captions
    assert at.button(key="save_tenant_settings").disabled and at.button(key="pause_selected").disabled
    editor = [d for d in at.dataframe if d.key and d.key.startswith("tenant_settings_")][0]
    assert tenant in set(editor.value["tenant_id"])
    assert section(at, "Disconnect").radio(key="disconnect_mode").disabled
    captions = " ".join(c.value for c in section(at, "Users & groups").caption)
    assert "Your role (Read-only) cannot manage users and groups." in captions
    assert not [t for t in at.text_input if t.key == "new_user_email"]


def test_free_sku_list_is_edited_and_reset(app_db: Path) -> None:
    from o365lic import reports
    from o365lic.licenses import DEFAULT_FREE_SKUS
    from o365lic.store import free_sku_list

    store = synced(app_db)
    paid = reports.totals(store)["active"]
    at = section(open_page(PAGE), "Free SKUs")
    box = at.text_area(key="free_skus_text")
    assert set(box.value.split()) == set(DEFAULT_FREE_SKUS)
    box.set_value(box.value + "\nexchangestandard, not a sku!").run()
    at.button[[b.label for b in at.button].index("Save free SKUs")].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "not a SKU part number" in at.error[0].value
    assert set(free_sku_list(store)) == set(DEFAULT_FREE_SKUS)  # nothing saved
    at.text_area(key="free_skus_text").set_value("FLOW_FREE\nexchangestandard\nTYPO").run()
    at.button[[b.label for b in at.button].index("Save free SKUs")].click().run()
    # before saving: a SKU nobody has (a typo?) and a paid one (it has a price) are named
    assert len(at.warning) == 1, [w.value for w in at.warning]
    warning = plain(at.warning[0].value)
    assert warning.startswith("TYPO: no tenant has this SKU") and "exchangestandard: this is a paid license" in warning
    assert warning.endswith("Correct the list, or click Save again to save it as it is.")
    assert set(free_sku_list(store)) == set(DEFAULT_FREE_SKUS)  # not saved yet
    at.text_area(key="free_skus_text").set_value("FLOW_FREE\nexchangestandard").run()
    at.button[[b.label for b in at.button].index("Save free SKUs")].click().run()
    assert len(at.warning) == 1 and not at.success  # still a paid SKU: named again
    at.button[[b.label for b in at.button].index("Save free SKUs")].click().run()  # saved as it is
    assert len(at.success) == 1 and "re-flagged" in at.success[0].value
    assert free_sku_list(store) == ["EXCHANGESTANDARD", "FLOW_FREE"]
    exchange = store.scalar("SELECT sum(active) FROM office365_licenses WHERE sku_part_number = 'EXCHANGESTANDARD'")
    # Teams Exploratory is all-trial: off the list it stays free, as "trial" (issue 9: one rule)
    assert {r[0] for r in store.rows("SELECT free_reason FROM office365_licenses "
                                     "WHERE sku_part_number = 'TEAMS_EXPLORATORY'")} == {"trial"}
    assert exchange > 0
    assert reports.totals(store)["active"] == paid - exchange
    at.button[[b.label for b in at.button].index("Reset to the default list")].click().run()
    assert set(free_sku_list(store)) == set(DEFAULT_FREE_SKUS)
    assert set(at.text_area(key="free_skus_text").value.split()) == set(DEFAULT_FREE_SKUS)
    assert reports.totals(store)["active"] == paid


def test_discovered_tenants_are_listed_a_page_at_a_time(app_db: Path, monkeypatch) -> None:
    """More unmatched tenants than a page: the page box and "Tenants 1–2 of 5" say which are shown,
    and the last page holds the rest, none twice."""
    from o365lic.ui import settings_sync

    monkeypatch.setattr(settings_sync, "PAGE_ROWS", 2)
    at, _ = _discovered(app_db, "Fabrikam")
    first = list(_match_table(at, "unmatched")["tenant_name"])
    assert len(first) == 2
    assert "Tenants 1–2 of 5" in [plain(c.value) for c in at.caption]
    at.number_input(key="match_page_unmatched").set_value(3).run()
    assert not at.exception
    last = list(_match_table(at, "unmatched")["tenant_name"])
    assert len(last) == 1 and not set(last) & set(first)
    assert "Tenants 5–5 of 5" in [plain(c.value) for c in at.caption]
