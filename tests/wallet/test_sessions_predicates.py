"""`wallet.sessions` with predicates, against the three real services on loopback
(`cli.stage`): an age or a district proven without the value being shown, refused by the
wallet itself (nothing sent, nothing granted) when the credential does not meet it, grants
for a value covering predicates on it but never the other way round, and a holder who
forges a proof of a false predicate refused by the verifier."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from attestations.bbs import calculate_random_scalars
from attestations.bbs.blind import signed_messages
from attestations.bbs.pseudonym import proof_gen_with_pseudonym
from attestations.credentials import Presentation
from attestations.credentials._common import (
    API_ID,
    SUITE,
    credential_header,
    generators,
    map_string,
    presentation_header,
    secret_index,
)
from attestations.credentials.credential import attributes_to_json
from attestations.predicates import years_before
from attestations.predicates.linked import LinkedProver
from attestations.pseudonym import verifier_base
from attestations.schemas import EXPIRY, Value
from cli.stage import World, stage
from mobile_api.models import RequestCreated
from policies import (
    AtLeast,
    AtMost,
    MemberOf,
    Predicate,
    PresentationRequest,
    build_response,
    draft_grant,
)
from tests.e2e.story import PURPOSE, RESIDENT_VALUES, request_result, tree_size, verifier_identity
from tests.wallet.test_sessions_client import approve, decline, now, signed_request
from wallet import (
    DeclinedByCitizen,
    KdfParams,
    PredicateNotSatisfied,
    StoredCredential,
    UnsupportedRequest,
    VerifierRefused,
    Wallet,
    WalletLedger,
    create,
)
from wallet.predicates import statements
from wallet.session_http import SessionHttp
from wallet.sessions import (
    Prepared,
    answer,
    deliver,
    fetch_offer,
    fetch_request,
    prepare,
    receive_offer,
)

TODAY = now().date()
ADULT = AtMost(attribute="birthdate", op="<=", value=years_before(TODAY, 18))
NEIGHBOURS = MemberOf(attribute="district", op="in", value=("Gràcia", "Sants-Montjuïc"))
ELSEWHERE = MemberOf(attribute="district", op="in", value=("Eixample", "Sants-Montjuïc"))


@dataclass
class Citizen:
    """A fresh wallet on the stage, with its ledger and HTTP client."""

    wallet: Wallet
    ledger: WalletLedger
    http: SessionHttp
    world: World

    def resident(self, **values: Any) -> StoredCredential:
        """A resident credential from the stage's issuer (`values` over Núria's)."""
        with self.world.issuer.admin() as admin:
            offer = admin.create_offer("resident", {**RESIDENT_VALUES, **values})
        return receive_offer(self.wallet, self.ledger, self.http, fetch_offer(self.http, offer.url))

    def minor(self) -> StoredCredential:
        return self.resident(birthdate=years_before(TODAY, 10).isoformat())

    def ask(
        self, predicates: list[Predicate], attributes: tuple[str, ...] = ()
    ) -> tuple[RequestCreated, PresentationRequest]:
        """A request made through the verifier's admin API, as the wallet fetches it."""
        with self.world.verifier.admin() as admin:
            created = admin.create_request(
                "resident", list(attributes), purpose=PURPOSE, predicates=predicates
            )
        return created, fetch_request(self.http, created.url)

    def prepare(self, request: PresentationRequest, **options: Any) -> Prepared:
        return prepare(self.wallet, self.ledger, request, **options)

    def nothing_happened(self, since: int) -> bool:
        """Nothing signed, shown or logged since the ledger had `since` entries."""
        unchanged = tree_size(self.world) == since
        return unchanged and not self.wallet.consents.all() + self.wallet.presentations.all()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with stage(tmp_path_factory.mktemp("stage")) as running:
        yield running


@pytest.fixture
def citizen(tmp_path: Path, world: World) -> Iterator[Citizen]:
    with (
        create(tmp_path / "wallet", "correct horse", kdf=KdfParams.INTERACTIVE) as wallet,
        WalletLedger(wallet, world.ledger_url, log_key=world.ledger_key) as ledger,
        SessionHttp() as http,
    ):
        yield Citizen(wallet, ledger, http, world)


# -- proven, not shown ----------------------------------------------------------------------


def test_an_adult_proves_their_age_without_showing_their_birthdate(citizen: Citizen) -> None:
    adult = citizen.resident()
    created, request = citizen.ask([ADULT], ("postcode",))
    prepared = citizen.prepare(request)
    assert prepared.credential == adult and prepared.draft is not None
    assert prepared.draft.attributes == ("postcode",) and prepared.draft.predicates == (ADULT,)
    accepted = answer(citizen.wallet, citizen.ledger, citizen.http, prepared, approve=approve)
    assert accepted.disclosed == {"expiry": str(adult.expiry), "postcode": 8012}
    result = request_result(citizen.world, created)
    assert result.status == "accepted" and result.disclosed is not None
    assert set(result.disclosed) == {"expiry", "postcode"}  # the verifier's own record
    on_ledger = citizen.ledger.client.grant(accepted.grant).logged.document
    assert on_ledger.attributes == ("postcode",) and on_ledger.predicates == (ADULT,)
    (shown,) = citizen.wallet.presentations.all()  # read back from the vault
    assert shown.disclosed == ("expiry", "postcode") and shown.predicates == (ADULT,)
    (access,) = citizen.ledger.history()
    assert access.shown == shown


def test_a_predicate_only_request_shows_nothing_but_expiry(citizen: Citizen) -> None:
    adult = citizen.resident()
    created, request = citizen.ask([ADULT, NEIGHBOURS])
    prepared = citizen.prepare(request)
    accepted = answer(citizen.wallet, citizen.ledger, citizen.http, prepared, approve=approve)
    assert accepted.disclosed == {"expiry": str(adult.expiry)}
    on_ledger = citizen.ledger.client.grant(accepted.grant).logged.document
    assert on_ledger.attributes == () and on_ledger.predicates == (ADULT, NEIGHBOURS)
    (shown,) = citizen.wallet.presentations.all()
    assert shown.predicates == (ADULT, NEIGHBOURS)  # a set predicate survives the vault
    assert request_result(citizen.world, created).status == "accepted"


# -- refused by the wallet ----------------------------------------------------------------------


def test_a_minor_is_refused_by_the_wallet_and_nothing_is_sent(citizen: Citizen) -> None:
    young = citizen.minor()
    created, request = citizen.ask([ADULT], ("postcode",))
    before = tree_size(citizen.world)
    with pytest.raises(PredicateNotSatisfied) as refused:
        citizen.prepare(request)
    assert refused.value.predicates == (ADULT,) and refused.value.credential == young.id
    message = str(refused.value)
    assert ADULT.describe() in message and "nothing was sent" in message
    assert str(young.attributes["birthdate"]) not in message  # the value is never named
    assert citizen.nothing_happened(since=before)
    assert request_result(citizen.world, created).status == "pending"


def test_a_district_outside_the_set_is_refused(citizen: Citizen) -> None:
    citizen.resident()  # Gràcia
    created, request = citizen.ask([ADULT, ELSEWHERE])
    before = tree_size(citizen.world)
    with pytest.raises(PredicateNotSatisfied, match="district in") as refused:
        citizen.prepare(request)
    assert refused.value.predicates == (ELSEWHERE,)  # the age holds; only the set fails
    assert "Gràcia" not in str(refused.value)
    assert citizen.nothing_happened(since=before)
    assert request_result(citizen.world, created).status == "pending"


def test_the_credential_that_meets_the_predicates_is_chosen(citizen: Citizen) -> None:
    adult = citizen.resident()
    young = citizen.minor()  # newer, but too young
    _, request = citizen.ask([ADULT])
    assert citizen.prepare(request).credential == adult
    with pytest.raises(PredicateNotSatisfied) as named:
        citizen.prepare(request, credential=young.id)
    assert named.value.credential == young.id


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"attributes": ["birthdate"], "predicates": [ADULT]}, "to see birthdate and to prove"),
        ({"predicates": [AtMost(attribute="expiry", op="<=", value=TODAY)]}, "to see expiry"),
        ({"predicates": [AtLeast(attribute="district", op=">=", value=5)]}, "does not fit"),
        ({"predicates": [AtLeast(attribute="postcode", op=">=", value=TODAY)]}, "does not fit"),
        ({"predicates": [AtLeast(attribute="income", op=">=", value=5)]}, "has no attribute"),
    ],
    ids=["shown-and-proven", "expiry", "range-on-string", "date-on-integer", "unknown"],
)
def test_requests_the_wallet_cannot_answer_as_asked(
    citizen: Citizen, fields: dict[str, Any], words: str
) -> None:
    """Signed by the verifier's own key (its service refuses to make these): refused
    before anything is signed or sent."""
    citizen.resident()
    key = verifier_identity(citizen.world).key
    request = signed_request(key, citizen.world, **{"attributes": [], **fields})
    before = tree_size(citizen.world)
    with pytest.raises(UnsupportedRequest, match=words):
        citizen.prepare(request)
    assert citizen.nothing_happened(since=before)


def test_wallet_present_refuses_a_false_predicate(citizen: Citizen) -> None:
    young = citizen.minor()
    with pytest.raises(ValueError, match="outside the range"):
        citizen.wallet.present(young.id, disclose=[], verifier_id=citizen.world.verifier.did,
                               nonce=os.urandom(16), predicates=[ADULT])  # fmt: skip
    assert citizen.wallet.presentations.all() == []


# -- grants: a value covers predicates on it, a predicate never covers the value ------------


def test_a_grant_for_the_birthdate_covers_an_age_request(citizen: Citizen) -> None:
    citizen.resident()
    drafted = citizen.prepare(citizen.ask([], ("birthdate",))[1]).draft
    assert drafted is not None
    standing = citizen.ledger.grant(drafted.model_copy(update={"max_uses": None}))
    prepared = citizen.prepare(citizen.ask([ADULT])[1])
    assert prepared.decision.allowed and prepared.decision.grant == standing.id
    accepted = answer(citizen.wallet, citizen.ledger, citizen.http, prepared, approve=decline)
    assert accepted.grant == standing.id and accepted.granted is None  # never asked
    assert "birthdate" not in accepted.disclosed


def test_a_grant_for_an_age_does_not_cover_the_birthdate(citizen: Citizen) -> None:
    citizen.resident()
    drafted = citizen.prepare(citizen.ask([ADULT])[1]).draft
    assert drafted is not None
    standing = citizen.ledger.grant(drafted.model_copy(update={"max_uses": None}))
    assert citizen.prepare(citizen.ask([ADULT])[1]).decision.grant == standing.id
    created, for_value = citizen.ask([], ("birthdate",))
    prepared = citizen.prepare(for_value)
    assert not prepared.decision.allowed
    assert prepared.decision.missing_attributes == ("birthdate",)
    assert prepared.draft is not None and prepared.draft.attributes == ("birthdate",)
    before = tree_size(citizen.world)
    with pytest.raises(DeclinedByCitizen):
        answer(citizen.wallet, citizen.ledger, citizen.http, prepared, approve=decline)
    assert tree_size(citizen.world) == before
    assert request_result(citizen.world, created).status == "pending"


# -- the verifier's side: a forged proof ------------------------------------------------------


def forged(citizen: Citizen, stored: StoredCredential, request: PresentationRequest,
           claimed: Value) -> Presentation:  # fmt: skip
    """A cheating holder: the request's statements proven of `claimed` (a value that
    satisfies them), committed in place of the credential's own value with an honest
    argument about `claimed`, beside a valid BBS proof of the real credential."""
    credential, schema, curve = stored.credential, stored.schema, SUITE.curve
    header = presentation_header(request.verifier, request.nonce)
    secret = citizen.wallet.holder_secret._s
    messages = signed_messages(credential.messages(), credential.prover_blind, [secret])
    wanted = statements(request.predicates, schema)
    lie = list(messages)
    for statement in wanted:
        index = schema.index(statement.attribute)
        lie[index] = schema.to_message(statement.attribute, claimed, map_string)
    linked = LinkedProver(wanted, schema, lie, presentation_header=header, map_string=map_string,
                          backend=curve, rng=calculate_random_scalars)  # fmt: skip
    proof, pseudonym = proof_gen_with_pseudonym(
        credential.issuer.to_bytes(), credential.signature, credential_header(schema), header,
        messages, [schema.index(EXPIRY)], generators=generators(schema),
        secret_index=secret_index(schema), base=verifier_base(request.verifier, backend=curve),
        api_id=API_ID, suite=SUITE, blindings=linked.blindings,
        extra_points=linked.extra_points, extra_octets=linked.extra_octets,
    )  # fmt: skip
    disclosed = attributes_to_json(schema, {EXPIRY: credential.expiry})
    return Presentation(schema.schema_id, credential.issuer, disclosed, pseudonym, proof,
                        request.verifier, request.nonce, linked.finish(proof))  # fmt: skip


def test_a_forged_proof_of_a_false_predicate_is_refused_by_the_verifier(citizen: Citizen) -> None:
    """A minor who signs a grant (the ledger cannot know the value) and answers with a
    proof that commits to an adult's birthdate: the verifier refuses the presentation and
    records no access. Relabelling a true proof (at least 5 years old) as the asked one
    fails the same way."""
    young, world, http = citizen.minor(), citizen.world, citizen.http
    created, request = citizen.ask([ADULT])
    granted = citizen.ledger.grant(draft_grant(request, now=now()))  # prepare would refuse
    before = tree_size(world)
    lie = forged(citizen, young, request, ADULT.value)
    with pytest.raises(VerifierRefused) as refused:
        deliver(http, request, build_response(issuer=world.issuer.did, grant=granted.id,
                                              presentation=lie))  # fmt: skip
    assert (refused.value.check, refused.value.reason) == ("presentation", "invalid-presentation")
    result = request_result(world, created)
    assert (result.status, result.reason) == ("refused", "invalid-presentation")
    # Relabelled: a true statement proven, another one claimed.
    _, request = citizen.ask([ADULT])
    five = AtMost(attribute="birthdate", op="<=", value=years_before(TODAY, 5))
    true = citizen.wallet.present(young.id, disclose=[], verifier_id=request.verifier,
                                  nonce=request.nonce, predicates=[five])  # fmt: skip
    (proven,) = true.predicates
    (asked,) = statements(request.predicates, young.schema)
    relabelled = replace(true, predicates=(replace(proven, predicate=asked),))
    with pytest.raises(VerifierRefused, match="invalid-presentation"):
        deliver(http, request, build_response(issuer=world.issuer.did, grant=granted.id,
                                              presentation=relabelled))  # fmt: skip
    assert tree_size(world) == before and citizen.ledger.client.grant(granted.id).uses == 0


# -- validity proven, the expiry date never shown (`prove_expiry`) ---------------------------


def ask_proving_expiry(
    citizen: Citizen, attributes: tuple[str, ...], **options: Any
) -> tuple[RequestCreated, PresentationRequest]:
    with citizen.world.verifier.admin() as admin:
        created = admin.create_request(
            "resident", list(attributes), purpose=PURPOSE, prove_expiry=True, **options
        )
    return created, fetch_request(citizen.http, created.url)


def test_validity_is_proven_and_the_date_never_shown(citizen: Citizen) -> None:
    stored = citizen.resident()
    created, request = ask_proving_expiry(citizen, ("postcode",))
    [bound] = request.predicates
    assert bound == AtLeast(attribute="expiry", op=">=", value=request.expires_at.date())
    prepared = citizen.prepare(request)
    assert prepared.draft is not None  # the grant covers the postcode, not the bound
    assert prepared.draft.attributes == ("postcode",) and prepared.draft.predicates == ()
    accepted = answer(citizen.wallet, citizen.ledger, citizen.http, prepared, approve=approve)
    assert accepted.disclosed == {"postcode": 8012}
    assert request_result(citizen.world, created).disclosed == {"postcode": 8012}
    assert str(stored.expiry) not in request.to_json().decode()
    [shown] = citizen.wallet.presentations.all()
    assert shown.disclosed == ("postcode",)


def test_a_grant_without_the_bound_covers_it(citizen: Citizen) -> None:
    citizen.resident()
    _, first = ask_proving_expiry(citizen, ("postcode",))
    prepared = citizen.prepare(first)
    assert prepared.draft is not None
    reusable = replace(prepared, draft=prepared.draft.model_copy(update={"max_uses": None}))
    answer(citizen.wallet, citizen.ledger, citizen.http, reusable, approve=approve)
    _, second = ask_proving_expiry(citizen, ("postcode",))
    again = citizen.prepare(second)
    assert again.decision.allowed and again.draft is None
    answer(citizen.wallet, citizen.ledger, citizen.http, again, approve=approve)


def test_a_credential_expiring_before_the_last_day_cannot_answer(citizen: Citizen) -> None:
    with citizen.world.issuer.admin() as admin:  # valid through today only
        offer = admin.create_offer("resident", RESIDENT_VALUES, expiry=now().date())
    stored = receive_offer(
        citizen.wallet, citizen.ledger, citizen.http, fetch_offer(citizen.http, offer.url)
    )
    _, request = ask_proving_expiry(
        citizen, ("postcode",), ttl_seconds=86_400
    )  # its last day: tomorrow
    since = tree_size(citizen.world)
    with pytest.raises(PredicateNotSatisfied, match="expiry >= ") as refused:
        citizen.prepare(request)
    assert refused.value.credential == stored.id
    assert citizen.nothing_happened(since)
