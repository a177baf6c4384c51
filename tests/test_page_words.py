"""Words an account manager reads on the Settings page: plain messages naming what is wrong and
what to do, next to the control; technical detail kept apart (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

from page_helpers import app_db, open_page, plain, runtime, section  # noqa: F401
from streamlit.testing.v1 import AppTest

from o365lic.store import list_integrations
from o365lic.ui.settings_disconnect import tenant_label
from o365lic.wording import no_details, sync_result_words

PAGE = "pages/settings.py"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _connect(at: AppTest, tenant: str, new_name: str) -> AppTest:
    at.text_input(key="connect_tenant_input").input(tenant)
    at.text_input(key="connect_organization_new").input(new_name)
    at.button[[b.label for b in at.button].index("Connect tenant")].click().run()
    assert not at.exception, at.exception
    return at


def test_an_empty_connect_form_names_both_empty_fields(app_db: Path) -> None:
    _, store = runtime(app_db)
    before = len(list_integrations(store))
    at = _connect(open_page(PAGE), "", "")
    assert [e.value for e in at.error] == [
        "Fill in the tenant ID or domain and a new organization name (or choose an existing organization), "
        "then connect again."]
    at = _connect(at, "", "Somebody New")
    assert [e.value for e in at.error] == ["Fill in the tenant ID or domain, then connect again."]
    assert len(list_integrations(store)) == before


def test_an_unknown_domain_says_microsoft_does_not_know_it_with_the_ids_apart(app_db: Path) -> None:
    _, store = runtime(app_db)
    before = len(list_integrations(store))
    at = _connect(open_page(PAGE), "nosuchdomain.example", "Somebody New")
    assert len(at.error) == 1
    message = plain(at.error[0].value)
    assert message.startswith("Microsoft does not know this domain (nosuchdomain.example). Check its spelling")
    assert "AADSTS" not in message and "trace" not in message.lower()
    details = [e for e in at.expander if e.label == "What Microsoft answered (for support)"]
    assert len(details) == 1 and "AADSTS90002" in details[0].text[0].value
    assert len(list_integrations(store)) == before


def test_the_disconnect_list_names_organizations_and_tenants_plainly(app_db: Path) -> None:
    runtime(app_db)
    at = section(open_page(PAGE), "Disconnect")
    box = at.selectbox(key="disconnect_tenant")
    labels = list(box.proto.options)  # as shown
    organizations = {i.organization for i in list_integrations(runtime(app_db)[1])}
    assert len(labels) == len(organizations) == 6
    assert not any(GUID.search(label) or "·" in label or label.endswith("matched") for label in labels), labels
    assert any(label in organizations for label in labels), labels
    assert tenant_label("Adventure Works", "Adventure Works", "matched") == "Adventure Works"
    assert tenant_label("Contoso", "Contoso Ltd", "matched") == "Contoso (tenant Contoso Ltd)"
    assert tenant_label(None, "Fabrikam HQ", "unmatched") == "Fabrikam HQ (not matched to an organization)"


def test_sync_lines_are_plain_words_and_an_empty_error_never_reads_none() -> None:
    line = sync_result_words("Contoso", "72f988bf-86f1-41af-91ab-2d7cd011db47", "ok", licenses=12, users=40,
                             seconds=1.25)
    assert line == "OK: Contoso — 12 licenses, 40 users (1.2 s)"
    assert sync_result_words("Contoso", "x", "error", error=None) == "Failed: Contoso — No details given"
    assert no_details("None") == no_details("") == "No details given"
