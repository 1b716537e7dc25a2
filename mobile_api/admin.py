"""`AdminClient`: an issuer's or verifier's admin calls to its running service.

    >>> with AdminClient("http://127.0.0.1:8471", api_key=key) as admin:   # doctest: +SKIP
    ...     created = admin.create_offer("resident", {"given_name": "Aina", ...})
    ...     created.url, admin.offer_status(created.id).status
    ('http://127.0.0.1:8471/v1/offers/…', 'pending')

Answers are parsed into the service's own models (`mobile_api.models`). httpx's exceptions
never leave this module: a service that cannot be reached, times out or answers 503 is
`ServiceUnavailable`; any other problem document is `ServiceRefused` with its `status`,
`reason` and `check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from mobile_api import models
from mobile_api.errors import ServiceRefused, ServiceUnavailable, SettingsError
from mobile_api.files import read_private
from mobile_api.home import admin_key_path
from mobile_api.settings import SessionSettings
from policies import Predicate

__all__ = ["AdminClient", "admin_key"]

M = TypeVar("M", bound=BaseModel)
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def admin_key(settings: SessionSettings, given: str | None = None) -> str:
    """`given` if set, else the key `init` wrote in the role's home."""
    if given:
        return given.strip()
    path = admin_key_path(settings)
    try:
        return read_private(path).decode("ascii").strip()
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not an API key") from None


class AdminClient:
    """Admin calls to the session service at `base_url`, authenticated by `api_key`."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"authorization": f"Bearer {api_key}"}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, transport=transport, timeout=timeout
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def create_offer(
        self,
        schema: str,
        attributes: dict[str, Any],
        *,
        expiry: date | None = None,
        ttl_seconds: int | None = None,
    ) -> models.OfferCreated:
        body = {"schema": schema, "attributes": attributes, "ttl_seconds": ttl_seconds,
                "expiry": None if expiry is None else expiry.isoformat()}  # fmt: skip
        return self._call("POST", "/v1/issuer/offers", models.OfferCreated, body)

    def offer_status(self, offer_id: str) -> models.OfferStatus:
        return self._call("GET", f"/v1/issuer/offers/{offer_id}", models.OfferStatus)

    def create_request(
        self,
        schema: str,
        attributes: list[str],
        *,
        purpose: str,
        predicates: Sequence[Predicate] = (),
        trusted_issuers: list[str] | None = None,
        ttl_seconds: int | None = None,
        prove_expiry: bool = False,
    ) -> models.RequestCreated:
        body = {"schema": schema, "attributes": attributes, "purpose": purpose,
                "predicates": [p.to_json_dict() for p in predicates],
                "trusted_issuers": trusted_issuers, "ttl_seconds": ttl_seconds,
                "prove_expiry": prove_expiry}  # fmt: skip
        return self._call("POST", "/v1/verifier/requests", models.RequestCreated, body)

    def request_result(self, request_id: str) -> models.RequestResult:
        return self._call("GET", f"/v1/verifier/requests/{request_id}", models.RequestResult)

    def _call(
        self, method: str, path: str, model: type[M], body: dict[str, Any] | None = None
    ) -> M:
        where = f"{self.base_url}: {method} {path}"
        payload = None if body is None else {k: v for k, v in body.items() if v is not None}
        try:
            response = self._http.request(method, path, json=payload)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"{where}: {exc or type(exc).__name__}") from None
        if not response.is_success:
            raise _problem(where, response)
        try:
            return model.model_validate_json(response.content)  # JSON mode: arrays as tuples
        except (ValueError, ValidationError) as exc:
            raise ServiceUnavailable(f"{where}: not a valid answer ({exc})") from None


def _problem(where: str, response: httpx.Response) -> ServiceUnavailable | ServiceRefused:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    detail = str(body.get("detail") or response.reason_phrase)
    reason = str(body.get("reason") or "http-error")
    if status in (503, 504) or (status >= 500 and "reason" not in body):
        return ServiceUnavailable(f"{where}: {status} {reason}: {detail}")
    check = body.get("check")
    return ServiceRefused(f"{where}: {reason}: {detail}", status=status, reason=reason,
                          check=check if isinstance(check, str) else None)  # fmt: skip
