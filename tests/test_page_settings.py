"""The Settings page: connect and match tenants, the Licenses setting, pause and resume."""

from __future__ import annotations

from pathlib import Path

from page_helpers import app_db, open_page, runtime  # noqa: F401
from streamlit.testing.v1 import AppTest

from o365lic import demo
from o365lic.store import get_integration, list_integrations, list_organizations

PAGE = "pages/settings.py"


def _connect(at: AppTest, tenant: str, organization: str | None = None, new_name: str = "") -> AppTest:
    at.text_input(key="connect_tenant_input").input(tenant)
    if organization is not None:
        at.selectbox(key="connect_organization_choice").select(organization)
    at.text_input(key="connect_organization_new").input(new_name)
    at.button[[b.label for b in at.button].index("Connect tenant")].click().run()
    assert not at.exception
    return at


def test_renders_with_the_demo_tenants(app_db: Path) -> None:
    at = open_page(PAGE)
    assert [s.value for s in at.subheader] == ["Connect a tenant", "Sync settings per tenant"]
    assert at.text_input(key="connect_tenant_input").label == "Tenant ID or domain"
    _, store = runtime(app_db)
    for integration in list_integrations(store):
        box = at.checkbox(key=f"licenses_{integration.tenant_id}")
        assert box.label == "Licenses" and box.value is True
        assert at.button(key=f"pause_{integration.tenant_id}").label == "Pause"
        assert at.button(key=f"save_{integration.tenant_id}").label == "Save"


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
    # the new tenant has its own settings row, and the new organization can be matched to
    assert at.checkbox(key=f"licenses_{partner}").value is True
    assert "Our Own MSP" in at.selectbox(key="connect_organization_choice").options


def test_licenses_setting_is_saved(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[2].tenant_id
    at = open_page(PAGE)
    at.checkbox(key=f"licenses_{tenant}").uncheck()
    at.button(key=f"save_{tenant}").click().run()
    assert not at.exception
    assert get_integration(store, tenant).sync_licenses is False
    assert len(at.success) == 1 and "Licenses off" in at.success[0].value
    assert at.checkbox(key=f"licenses_{tenant}").value is False
    others = [i.sync_licenses for i in list_integrations(store) if i.tenant_id != tenant]
    assert all(others)
    at.checkbox(key=f"licenses_{tenant}").check()
    at.button(key=f"save_{tenant}").click().run()
    assert get_integration(store, tenant).sync_licenses is True


def test_pause_and_resume(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[0].tenant_id
    at = open_page(PAGE)
    at.button(key=f"pause_{tenant}").click().run()
    assert not at.exception
    assert get_integration(store, tenant).status == "Paused"
    row = [m.value for m in at.markdown if tenant in m.value]
    assert len(row) == 1 and "Status: **Paused**" in row[0]
    assert at.button(key=f"resume_{tenant}").label == "Resume"
    at.switch_page("pages/sync.py")
    at.run()
    statuses = dict(zip(at.dataframe[0].value["tenant_id"], at.dataframe[0].value["status"]))
    assert statuses[tenant] == "Paused"
    at.switch_page(PAGE)
    at.run()
    at.button(key=f"resume_{tenant}").click().run()
    assert get_integration(store, tenant).status == "Never synced"
    assert at.button(key=f"pause_{tenant}").label == "Pause"
