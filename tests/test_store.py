"""The DuckDB store: schema, transactions, another process's lock, integrations."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from o365lic.store import (
    LICENSE_TYPE_NAME,
    SCHEMA_VERSION,
    IntegrationError,
    Store,
    StoreBusyError,
    add_integration,
    ensure_license_type,
    get_integration,
    instances,
    list_integrations,
    update_integration,
)
from o365lic.store.database import ROW_GROUP_SIZE

TENANT = "11111111-2222-3333-4444-555555555555"
TABLES = {
    "organizations", "contacts", "integrations", "flexible_asset_types", "flexible_asset_fields",
    "flexible_assets", "flexible_asset_tags", "subscriptions", "sync_runs", "license_snapshots",
    "schema_version",
}
VIEW_COLUMNS = [
    "organization", "tenant_id", "sku_id", "sku_part_number", "license_name", "status", "active",
    "consumed", "unused", "over_assigned", "warning_units", "suspended_units", "is_free", "synced_at",
]


def test_schema_is_created_on_first_open(store: Store) -> None:
    tables = {r[0] for r in store.rows("SELECT table_name FROM information_schema.tables")}
    assert tables >= TABLES
    assert store.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
    columns = [r[0] for r in store.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'office365_licenses' "
        "ORDER BY ordinal_position")]
    assert columns[: len(VIEW_COLUMNS)] == VIEW_COLUMNS


def test_reopening_does_not_migrate_twice(db_path: Path) -> None:
    Store(db_path).rows("SELECT 1")
    con = duckdb.connect(str(db_path))
    try:
        assert con.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        con.close()


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    Store(db_path).rows("SELECT 1")
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_version (version) VALUES (99)")
    con.close()
    from o365lic.store.database import _migrated

    _migrated.discard(str(db_path.resolve()))
    with pytest.raises(RuntimeError, match="newer o365lic"):
        Store(db_path).rows("SELECT 1")


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), store.transaction() as con:
        con.execute("INSERT INTO organizations (name) VALUES ('Half done')")
        raise ZeroDivisionError
    assert store.scalar("SELECT count(*) FROM organizations") == 0


def test_the_license_type_is_created_once_with_locked_fields(store: Store) -> None:
    with store.transaction() as con:
        first = ensure_license_type(con)
        second = ensure_license_type(con)
    assert first == second
    assert store.rows("SELECT name, synced, locked FROM flexible_asset_types") == [(LICENSE_TYPE_NAME, True, True)]
    fields = store.rows("SELECT name, locked FROM flexible_asset_fields ORDER BY position")
    assert ("Active", True) in fields and ("Consumed", True) in fields and ("Unused", True) in fields


def _hold_lock(db_path: Path, seconds: float, read_only: bool = False) -> subprocess.Popen[str]:
    code = (f"import duckdb, time; c = duckdb.connect({str(db_path)!r}, read_only={read_only}); "
            f"print('ready', flush=True); time.sleep({seconds}); c.close()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_lock_held_by_another_process_is_reported(db_path: Path) -> None:
    Store(db_path).rows("SELECT 1")
    holder = _hold_lock(db_path, 30)
    try:
        with pytest.raises(StoreBusyError, match=rf"in use by another program \(process {holder.pid}\)"):
            Store(db_path, lock_timeout=0.5).rows("SELECT 1")
    finally:
        holder.kill()
        holder.wait()


def test_a_brief_lock_is_waited_out(db_path: Path) -> None:
    Store(db_path).rows("SELECT 1")
    holder = _hold_lock(db_path, 1.0)
    try:
        started = time.monotonic()
        assert Store(db_path, lock_timeout=15).scalar("SELECT 42") == 42
        assert time.monotonic() - started > 0.3  # it really waited for the other process
    finally:
        holder.wait()


def _read_elsewhere(db_path: Path, sql: str) -> list[list[int]]:
    """The rows of ``sql`` read by another process opening the file read-write (it fails while
    this process holds the file)."""
    code = (f"import duckdb, json; print(json.dumps(duckdb.connect({str(db_path)!r})"
            f".execute({sql!r}).fetchall()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_last_connection_to_close_checkpoints_the_file_and_lets_go_of_it(db_path: Path) -> None:
    store = Store(db_path)
    with store.transaction() as con:
        con.execute("CREATE TABLE written (x INTEGER)")
        con.execute("INSERT INTO written SELECT range FROM range(1000)")
    assert not Path(f"{db_path}.wal").exists()  # checkpointed: nothing left for a reader to replay
    assert _read_elsewhere(db_path, "SELECT count(*) FROM written") == [[1000]]
    assert store.scalar("SELECT count(*) FROM written") == 1000  # and this process opens it again


def test_threads_opening_and_closing_at_once_keep_the_file_until_the_last_closes(db_path: Path) -> None:
    store = Store(db_path)
    with store.transaction() as con:
        con.execute("CREATE TABLE numbers AS SELECT range AS x FROM range(100)")
    errors: list[BaseException] = []

    def reads() -> None:
        try:
            for _ in range(40):
                assert Store(db_path).scalar("SELECT sum(x) FROM numbers") == 4950
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reads) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _read_elsewhere(db_path, "SELECT count(*) FROM numbers") == [[100]]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in Linux's /proc")
def test_a_process_that_used_many_database_files_keeps_only_a_few_duckdb_instances(tmp_path: Path) -> None:
    """An idle DuckDB instance holds ~4 MiB and 9 threads: 300 files used in one process (a test
    run) would keep 1.3 GiB and 2,700 threads."""
    def threads() -> int:
        return len(list(Path("/proc/self/task").iterdir()))

    for n in range(instances.MAX_KEPT + 1):  # as many kept as will be
        Store(tmp_path / f"first{n}.duckdb").rows("SELECT 1")
    before = threads()
    for n in range(20):
        Store(tmp_path / f"next{n}.duckdb").rows("SELECT 1")
    assert threads() - before <= 4  # each kept instance would have added ~9


_FULL_DISK = """
import resource, sys
from pathlib import Path
from o365lic.store import Store
path = Path(sys.argv[1])
store = Store(path)
with store.transaction() as con:
    con.execute("CREATE TABLE t (x INTEGER, y VARCHAR)")
    con.execute("INSERT INTO t SELECT range, repeat('x', 200) FROM range(60000)")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size, hard))  # the file cannot grow
with store.hold(), store.transaction() as con:  # its checkpoint at the close fails
    con.execute("INSERT INTO t SELECT range, repeat('y', 200) FROM range(3000)")
print("committed", flush=True)
with store.hold():
    print("read", store.scalar("SELECT count(*) FROM t"), flush=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
with store.hold():
    print("rows", store.scalar("SELECT count(*) FROM t"), flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a full disk played with RLIMIT_FSIZE")
def test_a_commit_whose_checkpoint_fails_at_the_close_is_kept_and_the_store_goes_on(tmp_path: Path) -> None:
    """A full disk as the last connection closes: DuckDB lets go of the file with the commit in its
    write-ahead log. The commit must not look failed (a sync would fail tenants that landed),
    and the store must go on working (a failed close once left hold() broken for good)."""
    db = tmp_path / "o365lic.duckdb"
    done = subprocess.run([sys.executable, "-c", _FULL_DISK, str(db)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["committed", "read", "63000", "rows", "63000"]
    assert "could not be checkpointed" in done.stderr  # logged, in words
    assert _read_elsewhere(db, "SELECT count(*) FROM t") == [[63000]]


def test_a_file_another_process_reads_is_busy_not_read_only(db_path: Path) -> None:
    """DuckDB's lock error for a file held read-only advises opening it "in read-only mode":
    a writer that took that advice would fail every write (a sync next to an export did)."""
    Store(db_path).rows("SELECT 1")
    holder = _hold_lock(db_path, 1.0, read_only=True)
    try:
        store = Store(db_path, lock_timeout=15)
        with store.transaction() as con:  # waits for the reader, then writes
            con.execute("CREATE TABLE written (x INTEGER)")
        assert not store.read_only
    finally:
        holder.wait()
    holder = _hold_lock(db_path, 30, read_only=True)
    try:
        with pytest.raises(StoreBusyError, match="in use by another program"):
            Store(db_path, lock_timeout=0.5).rows("SELECT 1")
    finally:
        holder.kill()
        holder.wait()


def test_add_integration_creates_or_reuses_the_organization(store: Store) -> None:
    first = add_integration(store, TENANT.upper(), "Contoso")
    assert first.tenant_id == TENANT and first.organization == "Contoso" and first.status == "Never synced"
    second = add_integration(store, "22222222-2222-3333-4444-555555555555", "  contoso ")
    assert second.organization_id == first.organization_id
    assert store.scalar("SELECT count(*) FROM organizations") == 1


def test_a_tenant_cannot_be_connected_twice(store: Store) -> None:
    add_integration(store, TENANT, "Contoso")
    with pytest.raises(IntegrationError, match="already connected"):
        add_integration(store, TENANT, "Fabrikam")
    assert store.scalar("SELECT count(*) FROM integrations") == 1
    assert store.scalar("SELECT count(*) FROM organizations") == 1


def test_update_settings_and_pause(store: Store) -> None:
    add_integration(store, TENANT, "Contoso")
    updated = update_integration(store, TENANT, sync_licenses=False, sync_interval_minutes=15)
    assert (updated.sync_licenses, updated.sync_interval_minutes) == (False, 15)
    assert update_integration(store, TENANT, paused=True).status == "Paused"
    assert update_integration(store, TENANT, paused=False).status == "Never synced"
    with pytest.raises(IntegrationError, match="not connected"):
        update_integration(store, "99999999-2222-3333-4444-555555555555", paused=True)
    with pytest.raises(IntegrationError, match="at least one minute"):
        update_integration(store, TENANT, sync_interval_minutes=0)
    assert get_integration(store, TENANT) is not None
    assert [i.tenant_id for i in list_integrations(store)] == [TENANT]


def _chattr(flag: str, path: Path) -> bool:
    """Make ``path`` immutable (+i) or not (-i): refused even to root, as a read-only mount is."""
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def immutable():
    """chattr +i on paths, always undone (tmp_path must stay removable)."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if not _chattr("+i", path):
            pytest.skip("chattr +i is not available on this file system")
        made.append(path)

    yield make
    for path in made:
        _chattr("-i", path)


def _db_with_a_tenant(db_path: Path) -> None:
    add_integration(Store(db_path), TENANT, "Contoso")
    with Store(db_path).connect() as con:
        con.execute("CHECKPOINT")


def test_a_truncated_database_is_reported_in_words(db_path: Path) -> None:
    from o365lic.store import StoreCorruptError

    _db_with_a_tenant(db_path)
    data = db_path.read_bytes()
    truncated = db_path.with_name("truncated.duckdb")
    truncated.write_bytes(data[:5000])
    junk = db_path.with_name("junk.duckdb")
    junk.write_bytes(b"this is not a database" * 100)
    for path in (truncated, junk):
        with pytest.raises(StoreCorruptError, match=r"damaged or is not an o365lic database.*backup"):
            Store(path).rows("SELECT 1")


def test_a_database_path_under_a_file_or_a_folder_is_reported_in_words(tmp_path: Path) -> None:
    from o365lic.store import StoreError, StoreLocationError

    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreLocationError, match=r"cannot keep the database.*O365LIC_DB"):
        Store(tmp_path / "file" / "o365lic.duckdb").rows("SELECT 1")
    with pytest.raises(StoreLocationError, match="it is a folder"):
        Store(tmp_path).rows("SELECT 1")
    assert issubclass(StoreLocationError, StoreError)


def test_a_read_only_database_file_is_read_but_never_written(db_path: Path, immutable) -> None:
    from o365lic.store import StoreReadOnlyError

    _db_with_a_tenant(db_path)
    immutable(db_path)
    store = Store(db_path)
    assert [i.tenant_id for i in list_integrations(store)] == [TENANT]
    with pytest.raises(StoreReadOnlyError, match=r"read-only.*viewed and exported"):
        update_integration(store, TENANT, paused=True)
    _chattr("-i", db_path)  # writable again: the same store (the app's, say) writes again
    update_integration(store, TENANT, paused=True)
    assert [i.paused for i in list_integrations(store)] == [True] and not store.read_only


def test_a_read_only_folder_for_the_sync_lock_is_reported_in_words(tmp_path: Path, immutable) -> None:
    from o365lic.store import StoreLocationError
    from o365lic.sync import is_sync_running, sync_lock

    folder = tmp_path / "locked"
    folder.mkdir()
    immutable(folder)
    with pytest.raises(StoreLocationError, match=r"cannot create the sync lock.*writable"), \
            sync_lock(folder / "o365lic.duckdb"):
        pass
    assert is_sync_running(folder / "o365lic.duckdb") is False


def _row_groups(store: Store, table: str) -> list[int]:
    """Rows in each of ``table``'s row groups, as stored in the file."""
    return [r[1] for r in store.rows(
        "SELECT row_group_id, max(count) FROM pragma_storage_info(?) GROUP BY 1 ORDER BY 1", [table])]


def test_commits_write_small_row_groups_so_a_checkpoint_merges_little(tmp_path: Path) -> None:
    """A sync commits a group of tenants at a time, and the file is closed (checkpointed) after
    each commit; DuckDB merges the commits' small row groups at checkpoints, holding what it
    merges in memory. Written through the store, no row group grows past ROW_GROUP_SIZE."""
    store = Store(tmp_path / "O'Brien's files" / "o365lic.duckdb")  # a quote in the path is no SQL
    with store.transaction() as con:
        con.execute("CREATE TABLE appended (n INTEGER, name VARCHAR)")
    for commit in range(6):  # six group commits of 10,000 rows, the file closed after each
        with store.transaction() as con:
            con.execute("INSERT INTO appended SELECT range, 'user ' || range FROM range(?, ?)",
                        [commit * 10_000, (commit + 1) * 10_000])
    sizes = _row_groups(store, "appended")
    assert sum(sizes) == 60_000 and store.scalar("SELECT count(DISTINCT n) FROM appended") == 60_000
    assert max(sizes) <= ROW_GROUP_SIZE < 60_000, sizes


def test_a_database_written_with_duckdbs_default_row_groups_opens_and_takes_writes(tmp_path: Path) -> None:
    """A file written before (DuckDB's default row groups of 122,880 rows) keeps its rows and
    takes new ones."""
    path = tmp_path / "o365lic.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE earlier AS SELECT range AS n FROM range(200000)")
    con.close()
    store = Store(path)
    assert max(_row_groups(store, "earlier")) > ROW_GROUP_SIZE  # the file's own layout
    with store.transaction() as con:
        con.execute("INSERT INTO earlier SELECT range FROM range(200000, 230000)")
        con.execute("DELETE FROM earlier WHERE n % 2 = 1")
    add_integration(store, TENANT, "Contoso")
    assert store.scalar("SELECT count(*) FROM earlier") == 115_000
    assert [i.tenant_id for i in list_integrations(store)] == [TENANT]


def test_duckdb_spills_beside_the_database_not_into_the_working_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A query bigger than DuckDB's memory spills to a folder beside the database file (as when
    DuckDB opens the file by its path), never into the folder the process started in."""
    start = tmp_path / "started-here"
    start.mkdir()
    monkeypatch.chdir(start)
    path = tmp_path / "data" / "o365lic.duckdb"
    store = Store(path)
    with store.connect() as con:
        con.execute("SET memory_limit = '64MB'")
        con.execute("SET threads = 1")
        spilled = con.execute("SELECT count(*) FROM (SELECT range % 1000003 AS k, md5(range::VARCHAR) AS v "
                              "FROM range(2000000) ORDER BY v)").fetchone()
        in_working_folder = sorted(p.name for p in start.iterdir())  # while DuckDB keeps its spill folder
        beside = Path(f"{path}.tmp").is_dir()
    assert spilled == (2_000_000,)
    assert in_working_folder == [] and beside
