"""Cached reads at scale: reused across reruns while the database is unchanged, forgotten as soon
as anything writes it (from any process: here a write through another Store, which never clears
the app's caches), so a page never shows data older than the database."""

from __future__ import annotations

from pathlib import Path

from page_helpers import app_db, open_page, runtime  # noqa: F401

from o365lic.store import Store
from o365lic.store.integrations import update_integration
from o365lic.ui import reads

PAGE = "pages/sync.py"


def test_data_version_changes_with_a_write_and_not_with_a_read(tmp_path: Path) -> None:
    db = tmp_path / "o365lic.duckdb"
    store = Store(db)
    store.scalar("SELECT 1")  # created and migrated
    before = reads.data_version(str(db))
    assert before[0] is not None
    for _ in range(3):
        store.rows("SELECT * FROM integrations")
    assert reads.data_version(str(db)) == before
    with store.transaction() as con:
        con.execute("INSERT INTO organizations (name) VALUES ('Contoso')")
    assert reads.data_version(str(db)) != before
    assert reads.data_version(str(tmp_path / "missing.duckdb")) == (None, None)


def test_reruns_reuse_the_reads_until_the_database_is_written(app_db: Path, monkeypatch) -> None:
    read: list[str] = []
    original = reads.tenants_page

    def spy(*args, **kwargs):
        read.append("tenants")
        return original(*args, **kwargs)

    monkeypatch.setattr(reads, "tenants_page", spy)
    at = open_page(PAGE)
    assert at.caption[0].value == "6 Never synced"
    first = len(read)
    assert first > 0
    at.run()
    at.run()
    assert len(read) == first  # nothing written: the page's reads are reused

    _settings, store = runtime(app_db)
    elsewhere = Store(store.path)  # as a CLI in another process would: no cache of the app is cleared
    tenant = str(at.dataframe[0].value["tenant_id"].iloc[0])
    update_integration(elsewhere, tenant, paused=True)
    at.run()
    assert not at.exception
    assert len(read) > first  # read again at once, not after a time to live
    assert at.caption[0].value == "1 Paused · 5 Never synced"
    shown = at.dataframe[0].value.set_index("tenant_id")
    assert shown.loc[tenant, "status"] == "Paused"


def test_license_reads_follow_a_write_elsewhere_once_the_database_settles(app_db: Path, monkeypatch) -> None:
    """While a sync elsewhere lands group after group the statuses follow each write and the
    license reads are kept; once the database has stayed unwritten for SETTLE_SECONDS they are
    read again too."""
    from page_helpers import metric_values, parse_count, synced

    from o365lic import reports

    store = synced(app_db)
    at = open_page()
    before = parse_count(metric_values(at)["Active"])
    assert before == reports.totals(store)["active"]
    asset = int(reports.licenses(store)["asset_id"].iloc[0])  # a paid license: it counts on the cards
    with Store(store.path).transaction() as con:  # as a sync in another process would
        con.execute("UPDATE flexible_assets SET active = active + 100 WHERE id = ?", [asset])
    monkeypatch.setattr(reads, "SETTLE_SECONDS", 3600.0)
    at.run()
    assert not at.exception
    assert parse_count(metric_values(at)["Active"]) == before  # still being written: kept
    monkeypatch.setattr(reads, "SETTLE_SECONDS", 0.0)
    at.run()
    assert not at.exception
    assert parse_count(metric_values(at)["Active"]) == before + 100 == reports.totals(store)["active"]


def test_license_reads_follow_a_write_made_before_the_page_looked(app_db: Path) -> None:
    """A sync elsewhere that ended a while before the page runs again (the database unwritten
    for longer than SETTLE_SECONDS by the file's own time) shows on that very run."""
    import os

    from page_helpers import metric_values, parse_count, synced

    from o365lic import reports

    store = synced(app_db)
    at = open_page()
    before = parse_count(metric_values(at)["Active"])
    asset = int(reports.licenses(store)["asset_id"].iloc[0])
    with Store(store.path).transaction() as con:
        con.execute("UPDATE flexible_assets SET active = active + 100 WHERE id = ?", [asset])
    written = os.stat(store.path).st_mtime - 2 * reads.SETTLE_SECONDS  # as if it ended a while ago
    os.utime(store.path, (written, written))
    at.run()
    assert not at.exception
    assert parse_count(metric_values(at)["Active"]) == before + 100 == reports.totals(store)["active"]
