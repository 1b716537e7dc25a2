"""Bad input over HTTP: each gets a 4xx problem document with a clear reason, and changes
nothing (same tree size, same signed checkpoint before and after)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from attestations.encoding import b64url_decode, b64url_encode
from ledger.merkle import leaf_hash
from ledger.service import create_app
from ledger.settings import load
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import JSON, check_appended, in_process, log_key

pytestmark = pytest.mark.anyio
LIMIT = 4096


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Ledger:
    http: httpx.AsyncClient
    world: World

    async def refused(self, status: int, reason: str, method: str, url: str, **kw: object) -> str:
        """Send a request; assert the problem document, and that the log did not move."""
        before = (await self.http.get("/v1/checkpoint")).text
        answer = await self.http.request(method, url, **kw)  # type: ignore[arg-type]
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == status and problem["reason"] == reason, problem
        assert problem["type"] == f"urn:cartera:ledger:{reason}" and problem["title"]
        assert (await self.http.get("/v1/checkpoint")).text == before
        detail: str = problem["detail"]
        assert detail
        return detail

    async def post(self, status: int, reason: str, body: bytes, **kw: object) -> str:
        return await self.refused(status, reason, "POST", "/v1/entries", content=body, **kw)


@pytest.fixture
async def ledger(db_url: str, tmp_path: Path) -> AsyncIterator[Ledger]:
    """A log holding an issuer, a verifier and one grant; bodies limited to 4 KiB."""
    world, t = World(), now()
    async with in_process(load(home=tmp_path, database_url=db_url, max_body_bytes=LIMIT)) as http:
        for doc in (world.issuer_register(t), world.verifier_register(t), world.grant(t)):
            assert (await http.post("/v1/entries", content=doc.to_json(), headers=JSON)).is_success
        yield Ledger(http, world)


# --- POST /v1/entries -----------------------------------------------------------------


async def test_oversized_body_by_content_length(ledger: Ledger) -> None:
    body = b'{"pad":"' + b"x" * LIMIT + b'"}'
    assert "larger than 4096 bytes" in await ledger.post(413, "too_large", body, headers=JSON)


async def test_oversized_body_streamed_without_length(ledger: Ledger) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 64 KiB in 1 KiB chunks, no Content-Length (chunked)
            yield b" " * 1024

    await ledger.post(413, "too_large", chunks(), headers=JSON)  # type: ignore[arg-type]


async def test_wrong_media_type(ledger: Ledger) -> None:
    body = ledger.world.verifier_register(now(), name="Other").to_json()
    headers = {"content-type": "text/plain"}
    await ledger.post(415, "unsupported_media_type", body, headers=headers)


async def test_invalid_json(ledger: Ledger) -> None:
    assert "not JSON" in await ledger.post(
        400, "not_json", b'{"type":"consent.grant",', headers=JSON
    )


async def test_not_canonical_json(ledger: Ledger) -> None:
    canonical = ledger.world.verifier_register(now(), key=World().verifier).to_json()
    spaced = canonical.replace(b'","', b'", "')
    await ledger.post(400, "not_canonical", spaced, headers=JSON)


async def test_a_lone_surrogate_key_is_malformed(ledger: Ledger) -> None:
    """It once escaped the parser as a bare UnicodeEncodeError (a 500)."""
    await ledger.post(400, "malformed", b'{"\\udca5":1,"type":"consent.grant"}', headers=JSON)


async def test_malformed_entry(ledger: Ledger) -> None:
    detail = await ledger.post(400, "malformed", b'{"type":"consent.gift"}', headers=JSON)
    assert "unknown type" in detail


async def test_wrong_signature(ledger: Ledger) -> None:
    entry = ledger.world.verifier_register(now(), key=World().verifier).to_json()
    await ledger.post(422, "bad_signature", entry.replace(b"Bicing", b"Bicinc"), headers=JSON)


async def test_clock_skew(ledger: Ledger) -> None:
    stale = ledger.world.verifier_register(now() - timedelta(hours=1), key=World().verifier)
    assert "behind" in await ledger.post(422, "clock_skew", stale.to_json(), headers=JSON)


async def test_state_rule(ledger: Ledger) -> None:
    stranger = World().verifier.did
    grant = ledger.world.grant(now(), verifier=stranger)
    await ledger.post(422, "unknown_verifier", grant.to_json(), headers=JSON)


async def test_replayed_entry_gets_its_index_back(ledger: Ledger) -> None:
    before = (await ledger.http.get("/v1/checkpoint")).text
    registration = (await ledger.http.get("/v1/entries/1")).json()["entry"]
    answer = await ledger.http.post(
        "/v1/entries", content=b64url_decode(registration), headers=JSON
    )
    assert answer.status_code == 200
    assert (answer.json()["index"], answer.json()["duplicate"]) == (1, True)
    assert (await ledger.http.get("/v1/checkpoint")).text == before


# --- proofs out of range --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"index": 3, "tree_size": 3}, "not in a tree of size 3"),
        ({"index": 0, "tree_size": 4}, "beyond the log's 3 entries"),
        ({"index": 2, "tree_size": 2}, "not in a tree of size 2"),
        ({"tree_size": 2}, "exactly one of index and leaf_hash"),
    ],
)
async def test_inclusion_out_of_range(ledger: Ledger, params: dict[str, int], words: str) -> None:
    reason = "invalid_request" if "exactly" in words else "out_of_range"
    detail = await ledger.refused(400, reason, "GET", "/v1/proofs/inclusion", params=params)
    assert words in detail


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [(3, 2, "larger than second"), (1, 4, "beyond the log's 3"), (0, 2, "size >= 1")],
)
async def test_consistency_out_of_range(
    ledger: Ledger, first: int, second: int, words: str
) -> None:
    params = {"first": first, "second": second}
    detail = await ledger.refused(
        400, "out_of_range", "GET", "/v1/proofs/consistency", params=params
    )
    assert words in detail


async def test_negative_and_non_numeric_parameters(ledger: Ledger) -> None:
    await ledger.refused(400, "invalid_request", "GET", "/v1/entries/-1")
    await ledger.refused(400, "invalid_request", "GET", "/v1/entries", params={"start": "x"})
    params = {"start": 2, "end": 1}
    await ledger.refused(400, "out_of_range", "GET", "/v1/entries", params=params)
    params = {"leaf_hash": "not base64!", "tree_size": 1}
    await ledger.refused(400, "invalid_request", "GET", "/v1/proofs/inclusion", params=params)


# --- unknown ids ----------------------------------------------------------------------


async def test_unknown_ids_are_404(ledger: Ledger) -> None:
    stranger = World().verifier.did
    for url in (
        "/v1/entries/3", "/v1/checkpoint/4", "/v1/consent/grants/sha256:" + "0" * 64,
        f"/v1/issuers/{stranger}", f"/v1/verifiers/{stranger}", "/v1/no-such-thing",
    ):  # fmt: skip
        await ledger.refused(404, "not_found", "GET", url)
    unknown_leaf = b64url_encode(leaf_hash(b"never logged"))
    params = {"leaf_hash": unknown_leaf, "tree_size": 3}
    await ledger.refused(404, "not_found", "GET", "/v1/proofs/inclusion", params=params)


async def test_malformed_ids_are_400(ledger: Ledger) -> None:
    await ledger.refused(400, "invalid_request", "GET", "/v1/consent/grants/sha256:XYZ")
    await ledger.refused(400, "invalid_request", "GET", "/v1/issuers/did:web:example.org")
    query = {"pseudonym": "AAAA", "verifier": ledger.world.verifier.did}
    detail = await ledger.refused(400, "invalid_request", "GET", "/v1/consent/grants", params=query)
    assert "want 48" in detail
    query = {"pseudonym": b64url_encode(bytes(48)), "verifier": ledger.world.verifier.did,
             "at": "2025-03-01T09:30:00+01:00"}  # fmt: skip
    await ledger.refused(400, "invalid_request", "GET", "/v1/consent/grants", params=query)


async def test_replay_after_the_skew_bound_still_gets_its_index(
    db_url: str, tmp_path: Path
) -> None:
    """Idempotence outlives the clock-skew bound: a client retrying an old entry learns
    where it is, while a new entry of that age is still refused."""
    world, hour_ago = World(), now() - timedelta(hours=1)
    old = world.verifier_register(hour_ago)
    lenient = load(home=tmp_path, database_url=db_url, max_clock_skew_s=7200)
    async with in_process(lenient) as http:
        first = (await http.post("/v1/entries", content=old.to_json(), headers=JSON)).json()
    async with in_process(load(home=tmp_path, database_url=db_url)) as http:
        again = await http.post("/v1/entries", content=old.to_json(), headers=JSON)
        assert again.status_code == 200
        assert (again.json()["index"], again.json()["duplicate"]) == (first["index"], True)
        check_appended(again.json(), old.to_json(), log_key(lenient), lenient.origin)
        other = world.verifier_register(hour_ago, key=World().verifier).to_json()
        refused = await http.post("/v1/entries", content=other, headers=JSON)
        assert (refused.status_code, refused.json()["reason"]) == (422, "clock_skew")


async def test_a_stopped_sequencer_is_503(db_url: str, tmp_path: Path) -> None:
    app = create_app(load(home=tmp_path, database_url=db_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as http:
            assert (await http.get("/v1/health")).status_code == 200
            app.state.sequencer.close()
            health = await http.get("/v1/health")
            assert (health.status_code, health.json()["reason"]) == (503, "unavailable")
            entry = World().verifier_register(now()).to_json()
            refused = await http.post("/v1/entries", content=entry, headers=JSON)
            assert (refused.status_code, refused.json()["reason"]) == (503, "unavailable")
