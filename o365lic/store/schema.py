"""The DuckDB schema of the flexible-asset model (SPEC section 8) and its migrations."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

__all__ = ["LICENSE_TYPE_FIELDS", "LICENSE_TYPE_NAME", "SCHEMA_VERSION", "migrate"]

LICENSE_TYPE_NAME = "Office 365 Licenses"

#: The locked fields of the synced type: (name, kind, hint).
LICENSE_TYPE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("License", "Text", "Microsoft's product name for the SKU"),
    ("SKU", "Text", "skuPartNumber"),
    ("SKU ID", "Text", "skuId"),
    ("Tenant ID", "Text", "the Microsoft Entra tenant"),
    ("Status", "Text", "capabilityStatus: Enabled, Warning, Suspended, LockedOut or Deleted"),
    ("Active", "Number", "enabled + warning units of an Enabled or Warning SKU"),
    ("Consumed", "Number", "consumedUnits"),
    ("Unused", "Number", "max(Active - Consumed, 0)"),
    ("Over-assigned", "Number", "max(Consumed - Active, 0)"),
    ("Warning Units", "Number", "units in their renewal grace period"),
    ("Suspended Units", "Number", "units that no longer work"),
    ("Free", "Checkbox", "free, viral or trial SKU"),
    ("Users", "Tag", "contacts holding the license"),
)

_V1 = """
CREATE SEQUENCE organizations_id_seq START 1;
CREATE SEQUENCE contacts_id_seq START 1;
CREATE SEQUENCE integrations_id_seq START 1;
CREATE SEQUENCE flexible_asset_types_id_seq START 1;
CREATE SEQUENCE flexible_asset_fields_id_seq START 1;
CREATE SEQUENCE flexible_assets_id_seq START 1;
CREATE SEQUENCE sync_runs_id_seq START 1;

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY DEFAULT nextval('organizations_id_seq'),
    name VARCHAR NOT NULL,
    created_by_integration BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE integrations (
    id INTEGER PRIMARY KEY DEFAULT nextval('integrations_id_seq'),
    tenant_id VARCHAR NOT NULL,
    tenant_name VARCHAR,
    default_domain VARCHAR,
    organization_id INTEGER,
    match_state VARCHAR NOT NULL DEFAULT 'matched',
    verified_domains VARCHAR[],
    discovered BOOLEAN NOT NULL DEFAULT FALSE,
    sync_licenses BOOLEAN NOT NULL DEFAULT TRUE,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    sync_interval_minutes INTEGER NOT NULL DEFAULT 60,
    disconnected_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY DEFAULT nextval('contacts_id_seq'),
    organization_id INTEGER NOT NULL,
    integration_id INTEGER,
    user_id VARCHAR,
    user_principal_name VARCHAR,
    display_name VARCHAR,
    given_name VARCHAR,
    surname VARCHAR,
    mail VARCHAR,
    proxy_addresses VARCHAR[],
    account_enabled BOOLEAN,
    created_by_integration BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE flexible_asset_types (
    id INTEGER PRIMARY KEY DEFAULT nextval('flexible_asset_types_id_seq'),
    name VARCHAR NOT NULL,
    description VARCHAR,
    synced BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE flexible_asset_fields (
    id INTEGER PRIMARY KEY DEFAULT nextval('flexible_asset_fields_id_seq'),
    flexible_asset_type_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    hint VARCHAR,
    position INTEGER NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE flexible_assets (
    id INTEGER PRIMARY KEY DEFAULT nextval('flexible_assets_id_seq'),
    flexible_asset_type_id INTEGER NOT NULL,
    organization_id INTEGER NOT NULL,
    integration_id INTEGER,
    name VARCHAR NOT NULL,
    traits JSON,
    sku_id VARCHAR,
    sku_part_number VARCHAR,
    license_name VARCHAR,
    status VARCHAR,
    active INTEGER,
    consumed INTEGER,
    unused INTEGER,
    over_assigned INTEGER,
    enabled_units INTEGER,
    warning_units INTEGER,
    suspended_units INTEGER,
    locked_out_units INTEGER,
    is_free BOOLEAN NOT NULL DEFAULT FALSE,
    free_reason VARCHAR,
    notes VARCHAR,
    synced BOOLEAN NOT NULL DEFAULT FALSE,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    synced_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE flexible_asset_tags (
    flexible_asset_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    integration_id INTEGER NOT NULL,
    subscription_id VARCHAR NOT NULL,
    commerce_subscription_id VARCHAR,
    sku_id VARCHAR,
    sku_part_number VARCHAR,
    status VARCHAR,
    total_licenses INTEGER,
    is_trial BOOLEAN,
    created_date_time TIMESTAMPTZ,
    next_lifecycle_date_time TIMESTAMPTZ,
    synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY DEFAULT nextval('sync_runs_id_seq'),
    integration_id INTEGER NOT NULL,
    tenant_id VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome VARCHAR NOT NULL,
    licenses INTEGER,
    users INTEGER,
    requests INTEGER,
    retries INTEGER,
    error VARCHAR,
    trigger VARCHAR
);

CREATE TABLE license_snapshots (
    sync_run_id INTEGER NOT NULL,
    integration_id INTEGER NOT NULL,
    organization_id INTEGER NOT NULL,
    tenant_id VARCHAR NOT NULL,
    sku_id VARCHAR NOT NULL,
    sku_part_number VARCHAR,
    license_name VARCHAR,
    status VARCHAR,
    active INTEGER,
    consumed INTEGER,
    unused INTEGER,
    over_assigned INTEGER,
    warning_units INTEGER,
    suspended_units INTEGER,
    is_free BOOLEAN,
    taken_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE free_skus (
    sku_part_number VARCHAR NOT NULL,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE product_names (
    sku_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE app_state (
    key VARCHAR NOT NULL,
    value VARCHAR
);

CREATE TABLE staging_users (
    sync_run_id INTEGER NOT NULL,
    user_id VARCHAR NOT NULL,
    user_principal_name VARCHAR,
    display_name VARCHAR,
    given_name VARCHAR,
    surname VARCHAR,
    mail VARCHAR,
    proxy_addresses VARCHAR[],
    account_enabled BOOLEAN
);

CREATE TABLE staging_user_licenses (
    sync_run_id INTEGER NOT NULL,
    user_id VARCHAR NOT NULL,
    sku_id VARCHAR NOT NULL
);

CREATE SEQUENCE app_users_id_seq START 1;
CREATE SEQUENCE app_groups_id_seq START 1;

CREATE TABLE app_users (
    id INTEGER PRIMARY KEY DEFAULT nextval('app_users_id_seq'),
    email VARCHAR NOT NULL,
    display_name VARCHAR,
    role VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE app_groups (
    id INTEGER PRIMARY KEY DEFAULT nextval('app_groups_id_seq'),
    name VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE app_group_members (
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL
);

CREATE TABLE flexible_asset_groups (
    flexible_asset_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL
);

CREATE INDEX contacts_org_user ON contacts (organization_id, user_id);
CREATE INDEX assets_integration ON flexible_assets (integration_id);
CREATE INDEX tags_asset ON flexible_asset_tags (flexible_asset_id);
CREATE INDEX runs_integration ON sync_runs (integration_id);

CREATE VIEW office365_licenses AS
SELECT
    o.name AS organization,
    i.tenant_id,
    a.sku_id,
    a.sku_part_number,
    a.license_name,
    a.status,
    a.active,
    a.consumed,
    a.unused,
    a.over_assigned,
    a.warning_units,
    a.suspended_units,
    a.is_free,
    a.synced_at,
    a.id AS asset_id,
    a.organization_id,
    a.integration_id,
    a.free_reason,
    a.restricted,
    a.synced
FROM flexible_assets a
JOIN flexible_asset_types t ON t.id = a.flexible_asset_type_id AND t.name = 'Office 365 Licenses'
JOIN organizations o ON o.id = a.organization_id
LEFT JOIN integrations i ON i.id = a.integration_id
WHERE NOT a.archived;

CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

# Version 1 was edited after it first shipped: a database made by the first release claims
# version 1 but lacks the columns and tables below. Version 2 adds whatever is missing, so that
# either shape of version 1 arrives at the same schema. From here on migrations are append-only:
# a shipped migration is never edited; a change is a new migration at the end.
_V2 = """
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS match_state VARCHAR DEFAULT 'matched';
UPDATE integrations SET match_state = 'matched' WHERE match_state IS NULL;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS verified_domains VARCHAR[];
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS discovered BOOLEAN DEFAULT FALSE;
UPDATE integrations SET discovered = FALSE WHERE discovered IS NULL;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS proxy_addresses VARCHAR[];
ALTER TABLE flexible_assets ADD COLUMN IF NOT EXISTS notes VARCHAR;
ALTER TABLE staging_users ADD COLUMN IF NOT EXISTS proxy_addresses VARCHAR[];
CREATE SEQUENCE IF NOT EXISTS app_users_id_seq START 1;
CREATE SEQUENCE IF NOT EXISTS app_groups_id_seq START 1;
CREATE TABLE IF NOT EXISTS app_users (
    id INTEGER PRIMARY KEY DEFAULT nextval('app_users_id_seq'),
    email VARCHAR NOT NULL,
    display_name VARCHAR,
    role VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS app_groups (
    id INTEGER PRIMARY KEY DEFAULT nextval('app_groups_id_seq'),
    name VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS app_group_members (
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flexible_asset_groups (
    flexible_asset_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL
);
"""

# Version 3: the audit log of what people change (who, when, what). It names its target in
# words and keeps no foreign keys, so an entry outlives the data it describes.
_V3 = """
CREATE SEQUENCE audit_log_id_seq START 1;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    happened_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    target VARCHAR,
    detail VARCHAR
);
"""

# Version 4: the write path of the sync. A run records a warning (the sync landed but something
# was unavailable, e.g. /directory/subscriptions refused) and the client-request-id that
# Microsoft support asks for. Users and their licenses are no longer staged in the database
# (a sync keeps each group of tenants in memory): the staging tables are emptied. Snapshots
# are stored only when a license's numbers change (no schema change needed for that).
_V4 = """
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS warning VARCHAR;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS client_request_id VARCHAR;
DELETE FROM staging_users;
DELETE FROM staging_user_licenses;
"""

# Version 5: the price list (a monthly
# price per seat of a SKU, by part number or skuId, optionally for one organization) and the
# thresholds of the alert rules.
_V5 = """
CREATE TABLE price_list (
    sku VARCHAR NOT NULL,
    organization_id INTEGER,
    currency VARCHAR NOT NULL,
    monthly_price DECIMAL(18, 4) NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE alert_settings (
    name VARCHAR NOT NULL,
    value DOUBLE NOT NULL
);
"""

#: Migrations in order; migration N brings the schema from version N-1 to N. Append only.
_MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION = len(_MIGRATIONS)


def _current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date in one transaction per migration; returns the version.

    A migration is SQL text or, for a change SQL cannot say, a function given the connection
    inside the migration's transaction. A migration that fails rolls back whole and leaves the
    database at the version before it. Migrations already applied are never run again.
    """
    version = _current_version(con)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database was written by a newer o365lic (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade o365lic"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        step: str | Callable[[duckdb.DuckDBPyConnection], object] = _MIGRATIONS[number - 1]
        con.execute("BEGIN TRANSACTION")
        try:
            if callable(step):
                step(con)
            else:
                con.execute(step)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [number])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
