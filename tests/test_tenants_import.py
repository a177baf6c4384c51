"""``tenants import`` of many rows: looked up concurrently, connected in chunks; a bad row in a
chunk is reported by its line and changes nothing, and every other row is connected."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from o365lic import tenants
from o365lic.simulator import Simulator, generate_tenants
from o365lic.store import Integration, IntegrationError, Store, list_integrations
from o365lic.store.integrations import NewIntegration, add_integrations
from o365lic.tenants import CONNECT_CHUNK, import_tenants
from tests.conftest import settings_for


def test_an_import_larger_than_a_chunk_connects_every_good_row_and_reports_each_bad_one(
    own_simulator: Simulator, db_path: Path,
) -> None:
    count = CONNECT_CHUNK + 12
    extra = [dataclasses.replace(t, tenant_id=str(uuid.uuid4()), domains=[f"bulk{n}.onmicrosoft.com"])
             for n, t in enumerate(generate_tenants(count, seed=5, users_per_tenant=1))]
    for tenant in extra:
        own_simulator.add_tenant(tenant)
    lines = ["tenant_id,organization"]
    for n, tenant in enumerate(extra):
        lines.append(f"{tenant.tenant_id},Org {n}")
        if n == 3:
            lines.append(f"{extra[0].tenant_id},Again")  # same tenant twice: the second is refused
        if n == CONNECT_CHUNK + 2:
            lines.append(f"{uuid.uuid4()},Unknown Tenant")  # Microsoft does not know it
    lines.append(f"{extra[5].domains[0]},Org 5 again")  # a domain of a tenant connected above
    store = Store(db_path)
    report = import_tenants(store, settings_for(own_simulator, db_path), "\n".join(lines) + "\n")

    assert sorted(i.tenant_id for i in report.added) == sorted(t.tenant_id for t in extra)
    assert [line for line, _ in report.errors] == [6, CONNECT_CHUNK + 6, len(lines)]
    messages = dict(report.errors)
    assert "already connected" in messages[6]
    assert "does not know this tenant" in messages[CONNECT_CHUNK + 6]
    assert "already connected" in messages[len(lines)]
    connected = {i.tenant_id: i.organization for i in list_integrations(store)}
    assert connected == {t.tenant_id: f"Org {n}" for n, t in enumerate(extra)}
    # the refused rows changed nothing: no organization "Again", "Unknown Tenant" or "Org 5 again"
    names = {r[0] for r in store.rows("SELECT name FROM organizations")}
    assert names == {f"Org {n}" for n in range(count)}


def _mixed_file(sim: Simulator) -> tuple[str, list[str]]:
    """A file whose rows connect, share an organization in another case, repeat a tenant by its
    domain, and name no organization worth keeping; with the tenant ids in file order."""
    first, second, third, fourth = sorted(sim.tenants.values(), key=lambda t: t.tenant_id)
    text = (
        "tenant_id,organization\n"
        f"{first.tenant_id},Contoso\n"                  # line 2: creates Contoso
        f"{second.domains[0].upper()},contoso\n"       # line 3: the same organization
        f"{first.domains[0]},Somewhere Else\n"         # line 4: tenant of line 2 again: refused
        f"{third.tenant_id},\x07\x1b[0m\n"             # line 5: nothing printable: refused
        f"{fourth.tenant_id},\x1b[1mFabrikam\x1b[0m\n"  # line 6: the name without its escapes
        f"{third.tenant_id},CONTOSO\n"                 # line 7: line 5 changed nothing
    )
    return text, [first.tenant_id, second.tenant_id, fourth.tenant_id, third.tenant_id]


def test_an_import_reports_in_file_order_and_logs_one_connect_per_tenant(sim: Simulator, db_path: Path) -> None:
    text, connected = _mixed_file(sim)
    store = Store(db_path)
    report = import_tenants(store, settings_for(sim, db_path), text, actor="cli:alice")

    assert [i.tenant_id for i in report.added] == connected
    assert [i.organization for i in report.added] == ["Contoso", "Contoso", "Fabrikam", "Contoso"]
    assert [line for line, _ in report.errors] == [4, 5]
    assert "already connected (matched to Contoso)" in report.errors[0][1]
    assert "printable characters" in report.errors[1][1]
    assert store.rows("SELECT name FROM organizations ORDER BY id") == [("Contoso",), ("Fabrikam",)]
    log = store.rows("SELECT actor, target, detail FROM audit_log WHERE action = 'connect' ORDER BY id")
    assert log == [
        ("cli:alice", f"tenant {connected[0]} (Contoso)", "matched to Contoso (organization created)"),
        ("cli:alice", f"tenant {connected[1]} (Contoso)", "matched to Contoso"),
        ("cli:alice", f"tenant {connected[2]} (Fabrikam)", "matched to Fabrikam (organization created)"),
        ("cli:alice", f"tenant {connected[3]} (Contoso)", "matched to Contoso"),
    ]
    by_tenant = {i.tenant_id: i for i in list_integrations(store)}
    assert by_tenant[connected[1]].default_domain == sorted(
        sim.tenants.values(), key=lambda t: t.tenant_id)[1].domains[0]  # typed as a domain: kept


def test_a_chunk_the_database_refuses_is_connected_again_row_by_row_with_the_same_report(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    text, _ = _mixed_file(sim)
    calm = tmp_path / "calm.duckdb"
    expected = import_tenants(Store(calm), settings_for(sim, calm), text)

    def failing(store: Store, rows: list[NewIntegration], **kwargs: str) -> list[Integration | IntegrationError]:
        if len(rows) > 1:  # a whole chunk: fail inside its transaction, after writing some of it
            with store.transaction() as con:
                add_integrations(store, rows, **kwargs)
                con.execute("SELECT error('disk full')")
        return add_integrations(store, rows, **kwargs)

    monkeypatch.setattr(tenants, "add_integrations", failing)
    stormy = tmp_path / "stormy.duckdb"
    store = Store(stormy)
    report = import_tenants(store, settings_for(sim, stormy), text)

    # the same rows added and refused, with the same words (ids differ: a rollback does not give
    # back the numbers the failed chunk drew)
    assert [(i.tenant_id, i.organization, i.default_domain) for i in report.added] == [
        (i.tenant_id, i.organization, i.default_domain) for i in expected.added]
    assert report.errors == expected.errors
    assert store.rows("SELECT name FROM organizations ORDER BY id") == [("Contoso",), ("Fabrikam",)]
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'connect'") == 4


def test_the_lookups_starting_at_once_build_one_tls_context(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """32 lookups start together; parsing the CA bundle once instead of 32 times (~50 ms of CPU
    each) is what keeps an import's first second for the lookups."""
    from o365lic.graph import tls

    bundle = tmp_path / "bundle.pem"  # a bundle no context was built for yet
    bundle.write_bytes(Path(sim.ca_file).read_bytes())
    built: list[object] = []
    real = tls.create_urllib3_context

    def counting(*args: object, **kwargs: object) -> object:
        built.append(None)
        return real(*args, **kwargs)

    monkeypatch.setattr(tls, "create_urllib3_context", counting)
    start = threading.Barrier(32)

    def lookup(_: int) -> object:
        start.wait()
        return tls.shared_context(str(bundle))

    with ThreadPoolExecutor(32) as pool:
        contexts = list(pool.map(lookup, range(32)))
    assert len(built) == 1
    assert all(c is contexts[0] for c in contexts) and contexts[0] is not None
