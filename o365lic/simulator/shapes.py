"""Microsoft's JSON shapes: Entra discovery and errors, Graph resources and errors. Pure functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .catalog import catalog_entry
from .model import SimulatedSku, SimulatedSubscription, SimulatedTenant, SimulatedUser

__all__ = [
    "ENTRA_JSON_CONTENT_TYPE",
    "GRAPH_JSON_CONTENT_TYPE",
    "USER_DEFAULT_SELECT",
    "USER_PROPERTIES",
    "JsonObject",
    "company_subscription_json",
    "contract_json",
    "entra_error",
    "entra_timestamp",
    "graph_error",
    "instance_discovery",
    "iso8601",
    "openid_configuration",
    "organization_json",
    "subscribed_sku_json",
    "user_json",
]

JsonObject = dict[str, Any]

GRAPH_JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
ENTRA_JSON_CONTENT_TYPE = "application/json; charset=utf-8"

_SHAPES_NAMESPACE = uuid.UUID("0f5e1c3a-9b2d-4e8f-a1c7-0365c0ffee66")

#: Properties of ``microsoft.graph.user`` the simulator can return (canonical casing).
USER_PROPERTIES: tuple[str, ...] = (
    "id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "accountEnabled",
    "assignedLicenses", "assignedPlans", "licenseAssignmentStates", "department", "usageLocation",
    "userType", "companyName", "city", "country", "state", "streetAddress", "postalCode",
    "mailNickname", "proxyAddresses", "otherMails", "createdDateTime", "employeeId",
    "onPremisesSyncEnabled", "onPremisesImmutableId", "deletedDateTime",
)
#: What Graph returns for a user when no ``$select`` is given.
USER_DEFAULT_SELECT: tuple[str, ...] = (
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
    "preferredLanguage", "surname", "userPrincipalName", "id",
)

_REGION_BY_COUNTRY: dict[str, str] = {
    "US": "NA", "CA": "NA", "GB": "EU", "DE": "EU", "NL": "EU", "FR": "EU", "IE": "EU", "AU": "OC",
}


def iso8601(moment: datetime | None) -> str | None:
    """Graph's UTC timestamp form, e.g. ``2026-01-01T00:00:00Z``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entra_timestamp(moment: datetime | None = None) -> str:
    """Entra's error timestamp form, e.g. ``2026-01-01 12:00:00Z``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


# --------------------------------------------------------------------------- Entra


def openid_configuration(
    authority_host: str, graph_host: str, tenant: SimulatedTenant | None, tenant_segment: str
) -> JsonObject:
    """The v2.0 OpenID Connect discovery document of a tenant (or of ``common``/``organizations``)."""
    path_tenant = tenant.tenant_id if tenant is not None else tenant_segment
    issuer_tenant = tenant.tenant_id if tenant is not None else "{tenantid}"
    base = f"{authority_host}/{path_tenant}"
    region = _REGION_BY_COUNTRY.get(tenant.country_letter_code, "WW") if tenant is not None else None
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{authority_host}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"https://{graph_host}/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
            "tid", "ver", "at_hash", "c_hash", "email",
        ],
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": graph_host,
        "rbac_url": "https://pas.windows.net",
    }


def instance_discovery(authority_host: str, tenant_segment: str) -> JsonObject:
    """Answer of ``/common/discovery/instance`` for this (single-host) cloud."""
    host = authority_host.split("://", 1)[-1]
    return {
        "tenant_discovery_endpoint": f"{authority_host}/{tenant_segment}/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }


def entra_error(
    error: str,
    code: int,
    message: str,
    trace_id: str,
    correlation_id: str,
    authority_host: str,
) -> JsonObject:
    """Entra's OAuth error body (``error``, ``error_description``, ``error_codes``, ids).

    As Entra sends it, the description puts ``Trace ID``, ``Correlation ID`` and ``Timestamp``
    on lines of their own after the AADSTS message.
    """
    timestamp = entra_timestamp()
    return {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\n"
            f"Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{authority_host}/error?code={code}",
    }


# --------------------------------------------------------------------------- Graph


def graph_error(code: str, message: str, request_id: str, client_request_id: str) -> JsonObject:
    """Graph's error body ``{"error": {"code", "message", "innerError"}}``."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": iso8601(datetime.now(UTC)),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def _plans_json(sku_id: str, provisioning_status: str, applies_to: str = "User") -> list[JsonObject]:
    entry = catalog_entry(sku_id)
    if entry is None:
        return []
    return [
        {
            "servicePlanId": plan.service_plan_id,
            "servicePlanName": plan.service_plan_name,
            "provisioningStatus": provisioning_status,
            "appliesTo": applies_to,
        }
        for plan in entry.service_plans
    ]


def organization_json(tenant: SimulatedTenant) -> JsonObject:
    """``microsoft.graph.organization`` of a tenant."""
    initial = tenant.initial_domain.lower()
    default = tenant.default_domain.lower()
    return {
        "id": tenant.tenant_id,
        "deletedDateTime": None,
        "businessPhones": ["+1 425 555 0100"],
        "city": None,
        "country": None,
        "countryLetterCode": tenant.country_letter_code,
        "createdDateTime": iso8601(tenant.created),
        "defaultUsageLocation": None,
        "displayName": tenant.display_name,
        "isMultipleDataLocationsForServicesEnabled": None,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": None,
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": None,
        "street": None,
        "technicalNotificationMails": [f"admin@{tenant.default_domain}"],
        "tenantType": "AAD",
        "directorySizeQuota": {"used": len(tenant.users) + 50, "total": 300000},
        "privacyProfile": None,
        "assignedPlans": [],
        "onPremisesSyncStatus": [],
        "provisionedPlans": [],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": domain.lower() == default,
                "isInitial": domain.lower() == initial,
                "name": domain,
                "type": "Managed",
            }
            for domain in tenant.domains
        ],
    }


def subscribed_sku_json(tenant: SimulatedTenant, sku: SimulatedSku) -> JsonObject:
    """``microsoft.graph.subscribedSku``; ``consumedUnits`` counts the users holding the SKU."""
    active = sku.capability_status in ("Enabled", "Warning")
    return {
        "accountId": tenant.account_id or tenant.tenant_id,
        "accountName": tenant.initial_domain.split(".", 1)[0],
        "appliesTo": sku.applies_to,
        "capabilityStatus": sku.capability_status,
        "consumedUnits": tenant.consumed_units(sku.sku_id),
        "id": f"{tenant.tenant_id}_{sku.sku_id}",
        "prepaidUnits": {
            "enabled": sku.enabled,
            "suspended": sku.suspended,
            "warning": sku.warning,
            "lockedOut": sku.locked_out,
        },
        "servicePlans": _plans_json(sku.sku_id, "Success" if active else "Disabled", sku.applies_to),
        "skuId": sku.sku_id,
        "skuPartNumber": sku.sku_part_number,
        "subscriptionIds": [s.id for s in tenant.subscriptions if s.sku_id.lower() == sku.sku_id.lower()],
    }


def company_subscription_json(subscription: SimulatedSubscription) -> JsonObject:
    """``microsoft.graph.companySubscription``."""
    commerce_id = subscription.commerce_subscription_id or str(
        uuid.uuid5(_SHAPES_NAMESPACE, f"commerce:{subscription.id}")
    )
    active = subscription.status in ("Enabled", "Warning")
    return {
        "id": subscription.id,
        "commerceSubscriptionId": commerce_id,
        "createdDateTime": iso8601(subscription.created),
        "isTrial": subscription.is_trial,
        "nextLifecycleDateTime": iso8601(subscription.next_lifecycle),
        "ownerId": None,
        "ownerTenantId": None,
        "ownerType": None,
        "serviceStatus": _plans_json(subscription.sku_id, "Success" if active else "Disabled"),
        "skuId": subscription.sku_id,
        "skuPartNumber": subscription.sku_part_number,
        "status": subscription.status,
        "totalLicenses": subscription.total_licenses,
    }


def user_json(user: SimulatedUser) -> JsonObject:
    """Every property of ``microsoft.graph.user`` the simulator knows (select happens later)."""
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "accountEnabled": user.account_enabled,
        "assignedLicenses": [{"disabledPlans": [], "skuId": sku_id} for sku_id in user.sku_ids],
        "assignedPlans": [],
        "licenseAssignmentStates": [
            {
                "assignedByGroup": None,
                "disabledPlans": [],
                "error": "None",
                "lastUpdatedDateTime": None,
                "skuId": sku_id,
                "state": "Active",
            }
            for sku_id in user.sku_ids
        ],
        "department": user.department,
        "usageLocation": user.usage_location,
        "userType": "Member",
        "companyName": None,
        "city": None,
        "country": None,
        "state": None,
        "streetAddress": None,
        "postalCode": None,
        "mailNickname": user.user_principal_name.split("@", 1)[0],
        "proxyAddresses": ([f"SMTP:{user.mail}"] if user.mail else []) + [f"smtp:{a}" for a in user.aliases],
        "otherMails": [],
        "createdDateTime": None,
        "employeeId": None,
        "onPremisesSyncEnabled": None,
        "onPremisesImmutableId": None,
        "deletedDateTime": None,
    }


def contract_json(partner_tenant_id: str, customer: SimulatedTenant) -> JsonObject:
    """``microsoft.graph.contract`` linking the partner to a customer tenant."""
    return {
        "id": str(uuid.uuid5(_SHAPES_NAMESPACE, f"contract:{partner_tenant_id}:{customer.tenant_id}")),
        "deletedDateTime": None,
        "contractType": "ResellerPartner",
        "customerId": customer.tenant_id,
        "defaultDomainName": customer.default_domain,
        "displayName": customer.display_name,
    }
