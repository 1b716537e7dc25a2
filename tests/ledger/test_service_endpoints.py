"""Every endpoint of docs/ledger-api.md, round trip through httpx's ASGITransport, on
SQLite and PostgreSQL: a consent life (registrations, grants, accesses, a revocation)
appended with real signatures, then read back and checked as a client would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from attestations.encoding import b64url_decode, b64url_encode
from ledger.checkpoint import open_checkpoint
from ledger.merkle import check_consistency, check_inclusion, leaf_hash
from ledger.note import VerifierKey
from ledger.settings import LedgerSettings, load
from policies import Entry, format_time
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import JSON, check_appended, in_process, log_key

pytestmark = pytest.mark.anyio
DAY = timedelta(days=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Service:
    http: httpx.AsyncClient
    settings: LedgerSettings
    key: VerifierKey

    async def append(self, doc: Entry) -> dict[str, object]:
        answer = await self.http.post("/v1/entries", content=doc.to_json(), headers=JSON)
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        check_appended(body, doc.to_json(), self.key, self.settings.origin)
        return body


@pytest.fixture
async def service(db_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    settings = load(home=tmp_path, database_url=db_url)
    async with in_process(settings) as http:
        yield Service(http, settings, log_key(settings))


async def test_a_consent_life_round_trip(service: Service) -> None:
    world, t = World(), now()
    http = service.http
    grant, used_up, untouched = (
        world.grant(t),
        world.grant(t, max_uses=1, attributes=["postal_code"]),
        world.grant(t, purpose="dpv:AgeVerification"),
    )
    access, exhausting = world.access(grant, t), world.access(used_up, t)
    docs = [
        world.issuer_register(t), world.verifier_register(t), grant, used_up, untouched,
        access, exhausting, world.revoke(grant, t), world.issuer_revoke_key(t),
    ]  # fmt: skip
    answers = [await service.append(doc) for doc in docs]
    assert [a["index"] for a in answers] == list(range(9))
    assert not any(a["duplicate"] for a in answers)

    # POST again: the first index, duplicate, nothing added.
    again = await service.append(grant)
    assert (again["index"], again["duplicate"], again["tree_size"]) == (2, True, 9)

    # GET /v1/entries, /v1/entries/{index}: the exact bytes.
    listed = (await http.get("/v1/entries", params={"start": 1, "end": 4})).json()["entries"]
    assert [(e["index"], b64url_decode(e["entry"])) for e in listed] == [
        (i, docs[i].to_json()) for i in (1, 2, 3)
    ]
    past_end = (await http.get("/v1/entries", params={"start": 7, "end": 50})).json()
    assert [e["index"] for e in past_end["entries"]] == [7, 8]
    one = (await http.get("/v1/entries/5")).json()
    assert b64url_decode(one["entry"]) == access.to_json()
    assert b64url_decode(one["leaf_hash"]) == leaf_hash(access.to_json())

    # GET /v1/checkpoint and /v1/checkpoint/{size}: signed by the key /v1/log names.
    info = (await http.get("/v1/log")).json()
    assert info == {"origin": service.settings.origin, "tree_size": 9,
                    "verifier_key": service.key.to_text()}  # fmt: skip
    latest = await http.get("/v1/checkpoint")
    assert latest.headers["content-type"].startswith("text/plain")
    head = open_checkpoint(latest.text, service.key, origin=info["origin"]).checkpoint
    assert head.size == 9
    at_three = (await http.get("/v1/checkpoint/3")).text
    three = open_checkpoint(at_three, service.key, origin=info["origin"]).checkpoint

    # GET /v1/proofs/inclusion by index and by leaf hash; /v1/proofs/consistency.
    by_index = (await http.get("/v1/proofs/inclusion", params={"index": 2, "tree_size": 3})).json()
    proof = [b64url_decode(h) for h in by_index["proof"]]
    check_inclusion(leaf_hash(grant.to_json()), 2, 3, proof, three.root_hash)
    leaf = b64url_encode(leaf_hash(access.to_json()))
    by_leaf = (await http.get("/v1/proofs/inclusion", params={"leaf_hash": leaf})).json()
    assert (by_leaf["index"], by_leaf["tree_size"]) == (5, 9)
    proof = [b64url_decode(h) for h in by_leaf["proof"]]
    check_inclusion(leaf_hash(access.to_json()), 5, 9, proof, head.root_hash)
    consistency = await http.get("/v1/proofs/consistency", params={"first": 3, "second": 9})
    body = consistency.json()
    assert (body["first"], body["second"]) == (3, 9)
    proof = [b64url_decode(h) for h in body["proof"]]
    check_consistency(3, 9, proof, three.root_hash, head.root_hash)

    # GET /v1/consent/grants: each status at the time asked about.
    query = {"pseudonym": b64url_encode(grant.pseudonym), "verifier": world.verifier.did}

    async def statuses(at: str | None = None) -> dict[int, str]:
        params = query if at is None else {**query, "at": at}
        found = (await http.get("/v1/consent/grants", params=params)).json()["grants"]
        return {g["index"]: g["status"] for g in found}

    assert await statuses() == {2: "revoked", 3: "exhausted", 4: "live"}
    assert await statuses(format_time(t - timedelta(seconds=1))) == {
        2: "not_yet_valid", 3: "not_yet_valid", 4: "not_yet_valid"
    }  # fmt: skip
    assert set((await statuses(format_time(t + 2 * DAY))).values()) == {"revoked", "expired"}
    listed_grants = (await http.get("/v1/consent/grants", params=query)).json()["grants"]
    first = listed_grants[0]
    assert (first["id"], b64url_decode(first["entry"])) == (grant.id, grant.to_json())
    assert (first["uses"], first["revoked_at"]) == (1, format_time(t))

    # GET /v1/consent/grants/{id}: uses, revocation, accesses.
    detail = (await http.get(f"/v1/consent/grants/{grant.id}")).json()
    assert (detail["status"], detail["revoked_index"], detail["accesses"]) == ("revoked", 7, [5])
    future = (await http.get(f"/v1/consent/grants/{untouched.id}")).json()
    assert (future["status"], future["uses"], future["accesses"]) == ("live", 0, [])

    # GET /v1/consent/accesses: the citizen's history.
    history = await http.get("/v1/consent/accesses", params={"pseudonym": query["pseudonym"]})
    rows = history.json()["accesses"]
    assert [(a["index"], a["grant"], a["at"]) for a in rows] == [
        (5, grant.id, format_time(t)), (6, used_up.id, format_time(t))
    ]  # fmt: skip
    assert b64url_decode(rows[0]["entry"]) == access.to_json()

    # GET /v1/issuers/{did}, /v1/verifiers/{did}.
    issuer = (await http.get(f"/v1/issuers/{world.issuer.did}")).json()
    [key] = issuer["keys"]
    assert (key["index"], b64url_decode(key["public_key"])) == (0, world.bbs)
    assert key["revocation"]["index"] == 8
    assert b64url_decode(key["revocation"]["entry"]) == docs[8].to_json()
    verifier = (await http.get(f"/v1/verifiers/{world.verifier.did}")).json()
    assert (verifier["did"], verifier["index"]) == (world.verifier.did, 1)
    assert b64url_decode(verifier["entry"]) == docs[1].to_json()

    # GET /v1/health.
    assert (await http.get("/v1/health")).json() == {"status": "ok", "tree_size": 9}


PROVEN_READS = ("/v1/entries/{index}", "/v1/consent/grants", "/v1/consent/grants/{grant_id}",
                "/v1/consent/accesses", "/v1/issuers/{did}", "/v1/verifiers/{did}")  # fmt: skip


async def test_proven_reads_carry_their_checkpoint_and_proofs(service: Service) -> None:
    """With `trusted_size`, every entry read answers the checkpoint it was read at, a
    consistency proof from that size, and an inclusion proof per entry; without it, the
    answer is what it was before proven reads."""
    world, t = World(), now()
    http, key, origin = service.http, service.key, service.settings.origin
    grant = world.grant(t)
    docs = [world.issuer_register(t), world.verifier_register(t), grant,
            world.access(grant, t), world.issuer_revoke_key(t)]  # fmt: skip
    for doc in docs[:2]:
        await service.append(doc)
    two = open_checkpoint((await http.get("/v1/checkpoint")).text, key, origin=origin).checkpoint
    for doc in docs[2:]:
        await service.append(doc)
    pseudonym = b64url_encode(grant.pseudonym)
    reads = [
        ("/v1/entries/3", {}, lambda b: [b]),
        ("/v1/consent/grants", {"pseudonym": pseudonym, "verifier": world.verifier.did},
         lambda b: b["grants"]),
        (f"/v1/consent/grants/{grant.id}", {}, lambda b: [b]),
        ("/v1/consent/accesses", {"pseudonym": pseudonym}, lambda b: b["accesses"]),
        (f"/v1/issuers/{world.issuer.did}", {},
         lambda b: [b["keys"][0], b["keys"][0]["revocation"]]),
        (f"/v1/verifiers/{world.verifier.did}", {}, lambda b: [b]),
    ]  # fmt: skip
    for path, params, entries_of in reads:
        plain = (await http.get(path, params=params)).json()
        assert "proof" not in plain, path
        assert all("inclusion_proof" not in e for e in entries_of(plain)), path
        for trusted in (0, 2, 5):
            answer = await http.get(path, params={**params, "trusted_size": trusted})
            body = answer.json()
            proof = body.pop("proof")
            head = open_checkpoint(proof["checkpoint"], key, origin=origin).checkpoint
            assert proof["tree_size"] == head.size == 5
            consistency = [b64url_decode(h) for h in proof["consistency"]]
            if trusted == 2:
                check_consistency(2, 5, consistency, two.root_hash, head.root_hash)
            else:
                assert consistency == []
            for entry in entries_of(body):
                hashes = [b64url_decode(h) for h in entry.pop("inclusion_proof")]
                data = b64url_decode(entry["entry"])
                check_inclusion(leaf_hash(data), entry["index"], 5, hashes, head.root_hash)
            assert body == plain, path  # the rest of the answer is the plain one
        beyond = await http.get(path, params={**params, "trusted_size": 6})
        assert beyond.status_code == 400, path
        assert beyond.json()["reason"] == "out_of_range"


async def test_an_append_carries_the_consistency_proof_from_the_trusted_size(
    service: Service,
) -> None:
    """`trusted_size` on an append: the answer proves its checkpoint consistent with that
    tree (empty from 0 or from its own size); a larger trusted tree gets no proof (the
    client then asks for one the other way); without it the answer is unchanged."""
    world, t = World(), now()
    http, key, origin = service.http, service.key, service.settings.origin
    await service.append(world.issuer_register(t))
    await service.append(world.verifier_register(t))
    two = open_checkpoint((await http.get("/v1/checkpoint")).text, key, origin=origin).checkpoint
    grants = [world.grant(t) for _ in range(4)]
    for trusted, grant in zip((2, 0, 5, 9), grants, strict=True):
        answer = await http.post("/v1/entries", content=grant.to_json(), headers=JSON,
                                 params={"trusted_size": trusted})  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        head = open_checkpoint(body["checkpoint"], key, origin=origin).checkpoint
        if trusted > head.size:
            assert "consistency_proof" not in body
            continue
        proof = [b64url_decode(h) for h in body.pop("consistency_proof")]
        if trusted == 2:
            check_consistency(2, head.size, proof, two.root_hash, head.root_hash)
        else:
            assert proof == [] and trusted in (0, head.size)
        check_appended(body, grant.to_json(), key, origin)
    plain = await service.append(world.access(grants[0], t))
    assert "consistency_proof" not in plain


async def test_openapi_documents_every_endpoint_and_its_problems(service: Service) -> None:
    schema = (await service.http.get("/openapi.json")).json()
    assert set(schema["paths"]) == {
        "/v1/entries", "/v1/entries/{index}", "/v1/checkpoint", "/v1/checkpoint/{size}",
        "/v1/proofs/inclusion", "/v1/proofs/consistency", "/v1/consent/grants",
        "/v1/consent/grants/{grant_id}", "/v1/consent/accesses", "/v1/issuers/{did}",
        "/v1/verifiers/{did}", "/v1/log", "/v1/health", "/v1/petitions/{petition_id}",
        "/v1/petitions/{petition_id}/signatures",
    }  # fmt: skip
    append = schema["paths"]["/v1/entries"]["post"]
    assert set(append["responses"]) == {"200", "400", "413", "415", "422", "503"}
    problem = append["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    assert "application/json" in append["requestBody"]["content"]
    assert {"type", "title", "status", "detail", "reason"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert "200" in operation["responses"], path
    for path in PROVEN_READS:
        parameters = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert "trusted_size" in parameters, path
    components = schema["components"]["schemas"]
    assert set(components["AnswerProof"]["required"]) == {"checkpoint", "tree_size", "consistency"}
    assert "inclusion_proof" in components["ProvenEntry"]["properties"]
