"""Chart builders: data that matches the input, sort order by Active, top N, warning colour."""

from __future__ import annotations

import altair as alt
import pandas as pd

from o365lic import charts


def _summary(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    """organization_summary-shaped rows from (organization, active, consumed)."""
    return pd.DataFrame(
        [{"organization": name, "active": active, "consumed": consumed,
          "unused": max(active - consumed, 0), "over_assigned": max(consumed - active, 0),
          "licenses": 1} for name, active, consumed in rows]
    )


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def _bars(spec: dict) -> dict:
    return spec["layer"][0]


def test_organization_chart_stacks_consumed_and_unused_to_active() -> None:
    summary = _summary([("Small", 10, 4), ("Big", 100, 90), ("Over", 20, 25)])
    chart = charts.organization_chart(summary, top=None)
    assert isinstance(chart, alt.LayerChart)
    data = chart.data
    assert list(data.columns[:6]) == ["organization", "rank", "segment", "segment_order", "value", "bar_end"]
    assert len(data) == 3 * len(charts.SEGMENTS)
    by = {(r.organization, r.segment): r.value for r in data.itertuples()}
    for name, active, consumed in [("Small", 10, 4), ("Big", 100, 90), ("Over", 20, 25)]:
        within = by[(name, "Consumed")] + by[(name, "Unused")]
        assert within == active, name
        assert by[(name, "Over-assigned")] == max(consumed - active, 0)
        assert by[(name, "Consumed")] + by[(name, "Over-assigned")] == consumed
    # totals of the chart data equal the input's
    assert data.groupby("segment")["value"].sum().to_dict() == {"Consumed": 94 + 20, "Unused": 16,
                                                               "Over-assigned": 5}


def test_organization_chart_sorted_by_active() -> None:
    summary = _summary([("b", 5, 5), ("A", 50, 10), ("c", 5, 1), ("D", 500, 400)])
    chart = charts.organization_chart(summary, top=None)
    order = ["D", "A", "b", "c"]  # by Active, ties by name
    bars = _bars(_spec(chart))
    assert bars["encoding"]["y"]["sort"] == order
    assert chart.data.drop_duplicates("organization")["organization"].tolist() == order
    assert chart.data.drop_duplicates("organization")["rank"].tolist() == [0, 1, 2, 3]


def test_organization_chart_top_n_and_all() -> None:
    rows = [(f"Org {i:03d}", 1000 - i, 10) for i in range(500)]
    summary = _summary(rows).sample(frac=1.0, random_state=1)  # any input order
    top = charts.organization_chart(summary, top=20)
    shown = top.data.drop_duplicates("organization")["organization"].tolist()
    assert shown == [f"Org {i:03d}" for i in range(20)]
    assert "Top 20 of 500" in _spec(top)["title"]
    everything = charts.organization_chart(summary, top=None)
    assert everything.data["organization"].nunique() == 500
    # readable with 500 organizations: horizontal bars, height grows with the rows
    bars = _bars(_spec(everything))
    assert bars["encoding"]["y"]["field"] == "organization"
    assert bars["encoding"]["x"]["field"] == "value"
    assert _spec(everything)["height"] == {"step": charts.ROW_HEIGHT} == _spec(top)["height"]
    assert charts.ROW_HEIGHT >= 18  # a readable row per organization, however many there are
    # fewer organizations than N: all of them, no "Top" in the title
    small = charts.organization_chart(summary.head(3), top=20)
    assert small.data["organization"].nunique() == 3
    assert "Top" not in _spec(small)["title"]


def test_over_assigned_has_a_warning_colour() -> None:
    chart = charts.organization_chart(_summary([("Over", 20, 25)]))
    scale = _bars(_spec(chart))["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"]))
    assert list(colours) == ["Consumed", "Unused", "Over-assigned"]
    assert colours["Over-assigned"].lower() in {"#e8590c", "orange", "red"}
    assert colours["Over-assigned"] not in (colours["Consumed"], colours["Unused"])


def test_empty_summary_gives_an_empty_chart() -> None:
    chart = charts.organization_chart(_summary([]))
    assert chart.data.empty
    assert _spec(chart)["height"] == {"step": charts.ROW_HEIGHT}


def test_license_chart_per_license() -> None:
    licenses = pd.DataFrame([
        {"license_name": "Microsoft 365 E3", "sku_part_number": "SPE_E3", "tenant_id": "aaaa1111-x",
         "active": 25, "consumed": 20, "unused": 5, "over_assigned": 0},
        {"license_name": "Visio Plan 2", "sku_part_number": "VISIOCLIENT", "tenant_id": "aaaa1111-x",
         "active": 0, "consumed": 3, "unused": 0, "over_assigned": 3},
        {"license_name": "Exchange Online (Plan 1)", "sku_part_number": "EXCHANGESTANDARD",
         "tenant_id": "aaaa1111-x", "active": 40, "consumed": 12, "unused": 28, "over_assigned": 0},
    ])
    chart = charts.license_chart(licenses, title="Licenses of Contoso")
    spec = _spec(chart)
    assert spec["title"] == "Licenses of Contoso"
    order = ["Exchange Online (Plan 1)", "Microsoft 365 E3", "Visio Plan 2"]
    assert _bars(spec)["encoding"]["y"]["sort"] == order
    data = chart.data
    assert data.drop_duplicates("license")["license"].tolist() == order
    sums = data.pivot_table(index="license", columns="segment", values="value", aggfunc="sum")
    assert sums.loc["Microsoft 365 E3"].to_dict() == {"Consumed": 20, "Over-assigned": 0, "Unused": 5}
    assert sums.loc["Visio Plan 2"].to_dict() == {"Consumed": 0, "Over-assigned": 3, "Unused": 0}


def test_license_labels_are_distinct() -> None:
    licenses = pd.DataFrame([
        {"license_name": "Microsoft 365 E3", "sku_part_number": "SPE_E3", "tenant_id": "aaaaaaaa-1"},
        {"license_name": "Microsoft 365 E3", "sku_part_number": "SPE_E3", "tenant_id": "bbbbbbbb-2"},
        {"license_name": None, "sku_part_number": "FLOW_FREE", "tenant_id": "aaaaaaaa-1"},
    ])
    labels = charts.license_labels(licenses)
    assert len(set(labels)) == 3
    assert labels[2] == "FLOW_FREE"
    assert labels[0].startswith("Microsoft 365 E3") and "aaaaaaaa" in labels[0]


def test_show_all_pages_keep_the_chart_bounded_at_3000_organizations() -> None:
    summary = _summary([(f"Org {i:04d}", 10_000 - i, 5) for i in range(3_000)])
    pages = -(-len(summary) // charts.PAGE_SIZE)
    seen: list[str] = []
    for page in range(1, pages + 1):
        chart = charts.organization_page(summary, page)
        order = _bars(_spec(chart))["encoding"]["y"]["sort"]
        assert 0 < len(order) <= charts.PAGE_SIZE  # at most PAGE_SIZE × ROW_HEIGHT pixels tall
        seen += order
    assert seen == summary["organization"].tolist()  # every organization once, by Active
    title = charts.organization_page(summary, 2).title
    assert title == "Organizations 51–100 of 3,000 by Active"
    assert charts.PAGE_SIZE * charts.ROW_HEIGHT < 32_767  # a browser's canvas limit


def test_organization_chart_ranked_by_the_chosen_number_and_labelled_with_it() -> None:
    summary = _summary([("Big", 145, 160), ("Idle", 40, 10), ("Half", 100, 50)])
    for by, expected in (("unused", ["Half", "Idle", "Big"]), ("over_assigned", ["Big", "Half", "Idle"]),
                         ("active", ["Big", "Half", "Idle"])):
        spec = charts.organization_chart(summary, top=None, by=by).to_dict()
        assert spec["layer"][0]["encoding"]["y"]["sort"] == expected
        assert spec["layer"][1]["encoding"]["text"]["field"] == by  # the label is the sorted number
    top = charts.top_organizations(summary, 1, by="unused")
    assert top["organization"].tolist() == ["Half"]
