"""Settings, "Alerts" section: the thresholds of the "Needs attention" rules, in one small form.

The values are checked here first (a message under the form names the field and the range) and
again by :func:`o365lic.alerts.save_alert_settings`; nothing is saved when one is out of range.
"""

from __future__ import annotations

import math

import streamlit as st

from o365lic.alerts import AlertSettings, alert_settings, save_alert_settings
from o365lic.store import Viewer
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import context
from o365lic.ui.settings_common import managed_section

__all__ = ["FIELDS", "render", "threshold_problem"]

_NOTICE = "alerts_notice"
#: The form's fields: session key, label, allowed range, help.
FIELDS: dict[str, tuple[str, float, float, str]] = {
    "unused_min_seats": ("Unused seats, at least", 1, 1_000_000,
                         "A license alerts when at least this many paid seats are unused ..."),
    "unused_min_share": ("Unused share, at least (%)", 0, 100,
                         "... and they are at least this share of its paid seats."),
    "renewal_days": ("Renewal within (days)", 0, 3650,
                     "A license with unused seats whose subscription renews within this many days."),
    "stale_sync_hours": ("Last successful sync older than (hours)", 1, 8760,
                         "A connected, unpaused tenant not synced for this long."),
}


def _key(name: str) -> str:
    return f"alert_{name}"


def threshold_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the threshold ``name``, in words, or None."""
    label, low, high, _ = FIELDS[name]
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    whole = name != "unused_min_share"
    if math.isnan(number) or not low <= number <= high or (whole and number != int(number)):
        kind = "a whole number" if whole else "a number"
        return f"“{label}” must be {kind} from {low:,.0f} to {high:,.0f}. Change it and save again"
    return None


def _save() -> None:
    """Callback of Save thresholds: all four at once, or none."""
    state = st.session_state
    for name in FIELDS:
        problem = threshold_problem(name, state.get(_key(name)))
        if problem:
            notify(_NOTICE, "error", f"{problem}; nothing was saved.")
            return
    rules = AlertSettings(unused_min_seats=int(state[_key("unused_min_seats")]),
                          unused_min_share=float(state[_key("unused_min_share")]) / 100,
                          renewal_days=int(state[_key("renewal_days")]),
                          stale_sync_hours=int(state[_key("stale_sync_hours")]))

    def save(who: Viewer) -> str:
        save_alert_settings(context().store, rules, actor=who.email)
        return "Alert thresholds saved."

    act(_NOTICE, "manage_integrations", save, failure="{Exc}. Nothing was saved.")


def render(viewer: Viewer) -> None:
    """The Alerts section."""
    may_manage = managed_section(
        "Alert thresholds", viewer, None,
        "When a license or tenant shows in “Needs attention” on the Global and Organization pages. "
        "Over-assigned licenses and suspended licenses with users always do; free licenses never do.")
    saved = alert_settings(context().store)
    values = {"unused_min_seats": saved.unused_min_seats, "unused_min_share": round(saved.unused_min_share * 100, 1),
              "renewal_days": saved.renewal_days, "stale_sync_hours": saved.stale_sync_hours}
    with st.container(border=True):
        for name, (label, _low, _high, hint) in FIELDS.items():
            if _key(name) not in st.session_state:
                st.session_state[_key(name)] = values[name]
            fmt = "%.1f" if name == "unused_min_share" else "%d"
            st.number_input(label, key=_key(name), help=hint, format=fmt, disabled=not may_manage,
                            step=1.0 if name == "unused_min_share" else 1)
        st.button("Save thresholds", key="save_alert_settings", type="primary", on_click=_save,
                  disabled=not may_manage)
        show_notice(_NOTICE)
