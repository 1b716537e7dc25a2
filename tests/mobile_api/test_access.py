"""What guards a session service: admin API keys, the public endpoints' rate limit, body
size limits, media types; and the shape every refusal shares (RFC 9457 problems)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attestations.encoding import b64url_encode
from mobile_api import ServiceRefused
from mobile_api.auth import new_api_key
from tests.ledger.http_helpers import JSON
from tests.mobile_api.session_helpers import Clock, Ledger, Party, running

ADMIN_PATHS = [("POST", "/v1/verifier/requests"), ("GET", "/v1/verifier/requests/abc")]


def problem(answer: httpx.Response, status: int, reason: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = answer.json()
    assert body["reason"] == reason and body["status"] == status
    assert body["type"] == f"urn:cartera:sessions:{reason}"
    return body


def test_health_names_role_and_did(verifier: Party, issuer: Party) -> None:
    for party, role in ((verifier, "verifier"), (issuer, "issuer")):
        answer = httpx.get(f"{party.url}/v1/health")
        assert answer.json() == {"status": "ok", "role": role, "did": party.did}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer cak_short",
        f"Basic {new_api_key()}",
        f"Bearer {new_api_key()}",  # well-formed, unknown
    ],
    ids=["none", "empty", "malformed", "other-scheme", "unknown"],
)
@pytest.mark.parametrize(("method", "path"), ADMIN_PATHS)
def test_admin_endpoints_need_a_known_key(
    verifier: Party, authorization: str | None, method: str, path: str
) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    answer = httpx.request(method, f"{verifier.url}{path}", headers=headers, json={})
    problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_issuer_admin_endpoints_need_a_known_key(issuer: Party) -> None:
    answer = httpx.post(f"{issuer.url}/v1/issuer/offers", json={})
    problem(answer, 401, "unauthorized")
    wrong = {"authorization": f"Bearer {new_api_key()}"}
    problem(httpx.get(f"{issuer.url}/v1/issuer/offers/x", headers=wrong), 401, "unauthorized")


@pytest.fixture
def limited(tmp_path: Path, ledger: Ledger) -> Iterator[Party]:
    with running(
        "verifier",
        tmp_path / "limited",
        ledger.url,
        rate_limit_per_minute=3,
        clock=Clock(frozen=True),
    ) as party:
        yield party


def test_public_endpoints_are_rate_limited_per_client(limited: Party) -> None:
    url = f"{limited.url}/v1/requests/{b64url_encode(os.urandom(32))}"
    for _ in range(3):
        problem(httpx.get(url), 404, "unknown-request")
    answer = httpx.get(url)
    problem(answer, 429, "rate-limited")
    assert answer.headers["retry-after"] == "20"  # one call back every 60/3 seconds
    problem(httpx.post(f"{url}/response", content=b"{}", headers=JSON), 429, "rate-limited")
    limited.clock.advance(20)
    problem(httpx.get(url), 404, "unknown-request")
    problem(httpx.get(url), 429, "rate-limited")
    # Admin endpoints and the health check do not count.
    assert httpx.get(f"{limited.url}/v1/health").status_code == 200
    with limited.admin() as admin, pytest.raises(ServiceRefused, match="unknown-request"):
        admin.request_result("abc")


def test_zero_disables_the_rate_limit(tmp_path: Path, ledger: Ledger) -> None:
    with running(
        "issuer", tmp_path / "free", ledger.url, rate_limit_per_minute=0, clock=Clock(frozen=True)
    ) as party:
        url = f"{party.url}/v1/offers/{b64url_encode(os.urandom(32))}"
        assert {httpx.get(url).status_code for _ in range(150)} == {404}


@pytest.fixture
def small(tmp_path: Path, ledger: Ledger) -> Iterator[Party]:
    with running("verifier", tmp_path / "small", ledger.url, max_body_bytes=1024) as party:
        yield party


def test_bodies_over_the_limit_are_refused(small: Party) -> None:
    url = f"{small.url}/v1/requests/{b64url_encode(os.urandom(32))}/response"
    problem(httpx.post(url, content=b"x" * 1025, headers=JSON), 413, "too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield from (b"x" * 400 for _ in range(4))

    problem(httpx.post(url, content=chunks(), headers=JSON), 413, "too-large")
    admin = {"authorization": f"Bearer {small.api_key}", **JSON}
    big = b'{"schema": "resident", "attributes": ["' + b"a" * 1100 + b'"], "purpose": "x"}'
    problem(
        httpx.post(f"{small.url}/v1/verifier/requests", content=big, headers=admin),
        413,
        "too-large",
    )
    # At the limit, the body is read (and refused for what it says, not for its size).
    problem(httpx.post(url, content=b" " * 1024, headers=JSON), 404, "unknown-request")


def test_documents_are_sent_as_json(verifier: Party) -> None:
    url = f"{verifier.url}/v1/requests/abc/response"
    answer = httpx.post(url, content=b"{}", headers={"content-type": "text/plain"})
    problem(answer, 415, "unsupported-media-type")


def test_unknown_routes_and_methods_are_problems(verifier: Party, issuer: Party) -> None:
    problem(httpx.get(f"{verifier.url}/v1/nothing"), 404, "not-found")
    answer = httpx.delete(f"{verifier.url}/v1/health")
    problem(answer, 405, "method-not-allowed")
    assert answer.headers["allow"] == "GET"
    both = httpx.put(f"{issuer.url}/v1/offers/{b64url_encode(os.urandom(32))}")
    problem(both, 405, "method-not-allowed")
    assert both.headers["allow"] == "GET, POST"  # every method of the path
    # The issuer's routes are not served by a verifier.
    problem(httpx.get(f"{verifier.url}/v1/offers/abc"), 404, "not-found")
