"""``tenants import`` of many rows: looked up concurrently, connected in chunks; a bad row in a
chunk is reported by its line and changes nothing, and every other row is connected."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

from o365lic.simulator import Simulator, generate_tenants
from o365lic.store import Store, list_integrations
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
