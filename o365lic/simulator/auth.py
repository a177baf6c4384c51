"""The simulated app registration: client secret, certificates, client assertions, access tokens."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .certs import certificate_thumbprints

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "TOKEN_LIFETIME_S",
    "AudienceCheck",
    "CertificateRegistry",
    "ClientAssertionError",
    "IssuedToken",
    "TokenState",
    "TokenStore",
]

#: Client (application) id of the multi-tenant demo app registration consented in every tenant.
DEMO_CLIENT_ID = "5c1d0a9e-3b7f-4e26-9d48-0365a11ce0de"
#: The demo app's client secret. A fake value that only the simulator accepts.
DEMO_CLIENT_SECRET = "sim8Q~o365lic-demo-secret.only-valid-against-the-simulator"
#: Lifetime of issued access tokens, as Entra reports it (``expires_in``).
TOKEN_LIFETIME_S = 3599

TokenState = Literal["valid", "unknown", "expired"]


@dataclass(frozen=True)
class IssuedToken:
    """What an access token is bound to."""

    tenant_id: str
    client_id: str
    expires_at: float


class TokenStore:
    """Thread-safe map of opaque access tokens to the tenant they were issued for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, tenant_id: str, client_id: str, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
        """Issue a new opaque token bound to ``tenant_id``."""
        token = "sim1." + secrets.token_urlsafe(40)
        with self._lock:
            self._tokens[token] = IssuedToken(tenant_id, client_id, time.time() + lifetime_s)
        return token

    def lookup(self, token: str) -> tuple[TokenState, IssuedToken | None]:
        """Classify ``token`` and return what it is bound to."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return "unknown", None
        if issued.expires_at <= time.time():
            return "expired", issued
        return "valid", issued

    def expire(self, tenant_id: str | None = None) -> int:
        """Make the tokens of one tenant (or all) expired; returns how many were affected."""
        past = time.time() - 1
        with self._lock:
            hits = [t for t, i in self._tokens.items() if tenant_id is None or i.tenant_id == tenant_id]
            for token in hits:
                issued = self._tokens[token]
                self._tokens[token] = IssuedToken(issued.tenant_id, issued.client_id, past)
        return len(hits)


class ClientAssertionError(Exception):
    """A client assertion was rejected; carries the AADSTS code and description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AudienceCheck:
    """Callable: is ``aud`` a token endpoint of this tenant on an accepted sign-in host?"""

    def __init__(self, hosts: set[str], tenant_keys: set[str]) -> None:
        self._hosts = {h.lower() for h in hosts}
        self._tenants = {t.lower() for t in tenant_keys}

    def __call__(self, aud: str) -> bool:
        parts = urlsplit(aud)
        segments = [s for s in parts.path.lower().split("/") if s]
        if parts.scheme != "https" or parts.netloc.lower() not in self._hosts or not segments:
            return False
        return segments[0] in self._tenants and segments[1:] in (["oauth2", "v2.0", "token"], ["oauth2", "token"])


class CertificateRegistry:
    """Certificates registered on the demo app, by SHA-1 and SHA-256 thumbprint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}

    def register(self, public_cert_pem: bytes) -> str:
        """Register a PEM certificate (RSA key); returns its SHA-1 thumbprint, upper-case hex."""
        cert = x509.load_pem_x509_certificate(public_cert_pem)
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise TypeError("Only RSA certificates are supported for client assertions.")
        sha1, sha256 = certificate_thumbprints(public_cert_pem)
        with self._lock:
            self._keys[sha1] = key
            self._keys[sha256] = key
        return sha1

    def _key_for(self, header: dict[str, object]) -> tuple[rsa.RSAPublicKey | None, str]:
        for name in ("x5t#S256", "x5t"):
            value = header.get(name)
            if isinstance(value, str) and value:
                try:
                    thumbprint = _b64url_decode(value).hex().upper()
                except (binascii.Error, ValueError):
                    return None, value
                with self._lock:
                    key = self._keys.get(thumbprint)
                if key is not None:
                    return key, thumbprint
                return None, thumbprint
        return None, ""

    def verify(
        self,
        assertion: str,
        client_id: str,
        audience_ok: AudienceCheck,
        skew_s: float = 300.0,
    ) -> None:
        """Verify an RS256/PS256 client assertion JWT; raise :class:`ClientAssertionError` if bad."""
        parts = assertion.split(".")
        if len(parts) != 3:
            raise ClientAssertionError(50027, "JWT token is invalid or malformed.")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            payload = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            raise ClientAssertionError(50027, "JWT token is invalid or malformed.") from None
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ClientAssertionError(50027, "JWT token is invalid or malformed.")
        alg = header.get("alg")
        if alg not in ("RS256", "PS256"):
            raise ClientAssertionError(5002738, f"Invalid JWT token. '{alg}' is not a supported signature algorithm.")
        key, thumbprint = self._key_for(header)
        if key is None:
            raise ClientAssertionError(
                700027,
                "The certificate with identifier used to sign the client assertion is not registered on "
                f"application. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}']",
            )
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        pad: padding.AsymmetricPadding
        if alg == "RS256":
            pad = padding.PKCS1v15()
        else:
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        try:
            key.verify(signature, signing_input, pad, hashes.SHA256())
        except InvalidSignature:
            raise ClientAssertionError(700027, "Client assertion failed signature validation.") from None
        if payload.get("iss") != client_id or payload.get("sub") != client_id:
            raise ClientAssertionError(
                700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
        if not isinstance(payload.get("aud"), str) or not audience_ok(payload["aud"]):
            raise ClientAssertionError(700016, "Client assertion audience claim does not match the token endpoint.")
        now = time.time()
        exp, nbf = payload.get("exp"), payload.get("nbf")
        if not isinstance(exp, (int, float)) or exp + skew_s < now or (
            isinstance(nbf, (int, float)) and nbf - skew_s > now
        ):
            raise ClientAssertionError(700024, "Client assertion is not within its valid time range.")
