"""Settings, "Disconnect" tab: stop syncing a tenant, keeping or deleting its data, after the
person types the organization's name (or the tenant id) to confirm."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from o365lic.store import Viewer
from o365lic.ui import changes
from o365lic.ui.actions import act, notify
from o365lic.ui.context import context
from o365lic.ui.display import md
from o365lic.ui.reads import tenant_matches
from o365lic.ui.settings_common import managed_section
from o365lic.wording import (
    DISCONNECT_CONSEQUENCES,
    DISCONNECT_LABELS,
    confirmation_words,
    confirms,
    disconnect_report,
)

__all__ = ["render", "tenant_label"]

_NOTICE = "disconnect_notice"
_MODES = {label: mode for mode, label in DISCONNECT_LABELS.items()}


def _organization(tenant: pd.Series) -> str | None:
    value = tenant.get("organization")
    return value if isinstance(value, str) and value else None


def _disconnect(tenants: pd.DataFrame) -> None:
    """Callback of Confirm disconnect: only when the typed confirmation names the tenant."""
    state = st.session_state
    tenant_id = state.get("disconnect_tenant")
    mode = _MODES.get(str(state.get("disconnect_mode")))
    found = tenants[tenants["tenant_id"] == tenant_id]
    if not tenant_id or mode is None or found.empty:
        notify(_NOTICE, "error", "Choose a tenant and a disconnect option first. Nothing was changed.")
        return
    organization = _organization(found.iloc[0])
    words = confirmation_words(str(tenant_id), organization)
    if not confirms(state.get("disconnect_confirm"), str(tenant_id), organization):
        notify(_NOTICE, "error", f"Type “{md(words[0])}” to confirm. Nothing was disconnected.")
        return

    def disconnect(who: Viewer) -> str:
        report = changes.disconnect(context().store, who, str(tenant_id), mode)
        return md(disconnect_report(report, f"{words[0]} ({tenant_id})"))

    if act(_NOTICE, "manage_integrations", disconnect):
        state["disconnect_tenant"] = None
        state["disconnect_mode"] = None
        state["disconnect_confirm"] = ""


def tenant_label(organization: object, tenant_name: object, match_state: object) -> str:
    """A tenant as a person names it: ``Adventure Works``, ``Contoso (tenant Contoso Ltd)``,
    ``Fabrikam HQ (not matched to an organization)``; never its ID or a state code."""
    org = organization if isinstance(organization, str) and organization.strip() else None
    name = tenant_name if isinstance(tenant_name, str) and tenant_name.strip() else None
    if match_state == "ignored":
        return f"{name or org or 'Unnamed tenant'} (ignored)"
    if match_state != "matched" or not org:
        return f"{name or 'Unnamed tenant'} (not matched to an organization)"
    return org if not name or " ".join(name.split()).lower() == " ".join(org.split()).lower() \
        else f"{org} (tenant {name})"


def _tenant_label(tenants: pd.DataFrame) -> Callable[[str], str]:
    labels = {str(r.tenant_id): tenant_label(r.organization, r.tenant_name, r.match_state)
              for r in tenants.itertuples(index=False)}
    counts = pd.Series(list(labels.values())).value_counts()
    domains = {str(r.tenant_id): r.domain for r in tenants.itertuples(index=False)}
    for tenant_id, label in labels.items():  # two tenants named alike: their domains tell them apart
        if counts[label] > 1 and isinstance(domains.get(tenant_id), str):
            labels[tenant_id] = f"{label} — {domains[tenant_id]}"
    return lambda tenant_id: labels.get(tenant_id, tenant_id)


def render(viewer: Viewer) -> None:
    """The Disconnect tab."""
    may_manage = managed_section("Disconnect a tenant", viewer, _NOTICE)
    tenants = pd.concat([tenant_matches(s) for s in ("matched", "unmatched", "ignored")], ignore_index=True)
    if tenants.empty:
        st.info("No tenant is connected.")
        return
    tenant_id = st.selectbox("Tenant", tenants["tenant_id"].tolist(), index=None, key="disconnect_tenant",
                             format_func=_tenant_label(tenants), placeholder="Choose a tenant to disconnect",
                             disabled=not may_manage)
    label = st.radio("Disconnect option", list(DISCONNECT_LABELS.values()), index=None, key="disconnect_mode",
                     disabled=not may_manage)
    if not tenant_id or not label or not may_manage:
        return
    tenant = tenants[tenants["tenant_id"] == tenant_id].iloc[0]
    words = confirmation_words(str(tenant_id), _organization(tenant))
    with st.container(border=True):
        st.warning(f"**{label}.** {DISCONNECT_CONSEQUENCES[_MODES[label]]} This cannot be undone.",
                   icon=":material/warning:")
        st.text_input(f"Type “{md(words[0])}” to confirm", key="disconnect_confirm", placeholder=words[0])
        st.button("Confirm disconnect", type="primary", key="confirm_disconnect", on_click=_disconnect,
                  args=(tenants,), icon=":material/link_off:")
