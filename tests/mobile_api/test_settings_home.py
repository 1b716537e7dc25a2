"""Settings (one line per problem, naming the variable), the issuer's and verifier's home
files (0600 in 0700, refused when others may read them, parsed strictly), and the schema
spellings of `issuer init`."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path

import pytest

from mobile_api import SettingsError, init_issuer, init_verifier, load, read_identity
from mobile_api.admin import admin_key
from mobile_api.auth import valid_api_key
from mobile_api.catalog import RESIDENT, parse_schema
from mobile_api.home import IssuerIdentity, VerifierIdentity
from policies import Purpose

NOW = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
TRUSTED = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_defaults_follow_the_role(tmp_path: Path) -> None:
    issuer = load(role="issuer", home=tmp_path)
    verifier = load(role="verifier", home=tmp_path, public_url="https://bicing.example/")
    assert issuer.base_url == "http://127.0.0.1:8471"
    assert issuer.url == f"sqlite:///{tmp_path / 'issuer' / 'sessions.db'}"
    assert verifier.base_url == "https://bicing.example" and verifier.listen_port == 8472
    assert (issuer.rate_limit_per_minute, issuer.max_body_bytes) == (120, 65536)
    assert (issuer.offer_ttl_seconds, issuer.request_ttl_seconds) == (600, 300)
    assert issuer.ledger_url == "http://127.0.0.1:8470"


def test_environment_sets_the_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTERA_HOME", str(tmp_path))
    monkeypatch.setenv("CARTERA_SESSIONS_ROLE", "verifier")
    monkeypatch.setenv("CARTERA_SESSIONS_RATE_LIMIT_PER_MINUTE", "0")
    settings = load()
    assert (settings.home, settings.role, settings.rate_limit_per_minute) == (
        tmp_path,
        "verifier",
        0,
    )
    assert load(rate_limit_per_minute=5).rate_limit_per_minute == 5  # arguments win


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "CARTERA_SESSIONS_ROLE: Field required"),
        ({"role": "auditor"}, "CARTERA_SESSIONS_ROLE"),
        ({"role": "issuer", "port": 70000}, "CARTERA_SESSIONS_PORT"),
        ({"role": "issuer", "public_url": "ftp://x"}, "CARTERA_SESSIONS_PUBLIC_URL: want an http"),
        ({"role": "issuer", "database_url": "mysql://x"}, "CARTERA_SESSIONS_DATABASE_URL"),
        ({"role": "issuer", "ledger_key": "nope"}, "CARTERA_SESSIONS_LEDGER_KEY: not a C2SP"),
        ({"role": "issuer", "ledger_origin": "a b"}, "CARTERA_SESSIONS_LEDGER_ORIGIN"),
        ({"role": "issuer", "max_body_bytes": 10}, "CARTERA_SESSIONS_MAX_BODY_BYTES"),
        ({"role": "issuer", "rate_limit_per_minute": -1}, "CARTERA_SESSIONS_RATE_LIMIT"),
        ({"role": "issuer", "offer_ttl_seconds": 0}, "CARTERA_SESSIONS_OFFER_TTL_SECONDS"),
    ],
)
def test_invalid_settings_name_the_variable(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError, match="invalid session settings: .*" + problem):
        load(**fields)


def test_every_problem_gets_its_line() -> None:
    with pytest.raises(SettingsError) as caught:
        load(role="issuer", port=0, max_body_bytes=1)
    assert str(caught.value).count("; ") == 1


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_issuer_home_is_private_and_reads_back(tmp_path: Path) -> None:
    settings = load(role="issuer", home=tmp_path)
    made, key = init_issuer(settings, name="Padró", schemas=[RESIDENT, RESIDENT], now=NOW)
    home = tmp_path / "issuer"
    assert mode(home) == 0o700
    assert mode(home / "issuer.json") == 0o600 and mode(home / "admin.key") == 0o600
    assert valid_api_key(key) and admin_key(settings) == key
    assert admin_key(settings, " given ") == "given"
    read = read_identity(settings)
    assert isinstance(read, IssuerIdentity)
    assert (read.name, read.key.did, read.schemas) == ("Padró", made.key.did, (RESIDENT,))
    assert read.bbs.public_key() == made.bbs.public_key()
    assert read.schema("resident") == read.schema(RESIDENT.schema_id) == RESIDENT
    assert read.schema("library_card") is None


def test_a_verifier_home_reads_back(tmp_path: Path) -> None:
    settings = load(role="verifier", home=tmp_path)
    made, _ = init_verifier(
        settings,
        name="Bicing",
        purposes=["dpv:ServiceProvision"],
        contact="dpo@bicing.example",
        trusted_issuers=[TRUSTED],
        now=NOW,
    )
    read = read_identity(settings)
    assert isinstance(read, VerifierIdentity)
    assert (read.name, read.key.did, read.contact) == ("Bicing", made.key.did, "dpo@bicing.example")
    assert read.purposes == (Purpose.SERVICE_PROVISION,) and read.trusted_issuers == (TRUSTED,)


def test_init_twice_is_refused(tmp_path: Path) -> None:
    settings = load(role="issuer", home=tmp_path)
    init_issuer(settings, name="Padró", schemas=[RESIDENT], now=NOW)
    before = (tmp_path / "issuer" / "issuer.json").read_bytes()
    with pytest.raises(SettingsError, match="exists already"):
        init_issuer(settings, name="Other", schemas=[RESIDENT], now=NOW)
    assert (tmp_path / "issuer" / "issuer.json").read_bytes() == before


@pytest.mark.parametrize("name", ["issuer.json", "admin.key"])
def test_files_others_may_read_are_refused(tmp_path: Path, name: str) -> None:
    settings = load(role="issuer", home=tmp_path)
    init_issuer(settings, name="Padró", schemas=[RESIDENT], now=NOW)
    (tmp_path / "issuer" / name).chmod(0o640)
    with pytest.raises(SettingsError, match="chmod 600"):
        read_identity(settings) if name == "issuer.json" else admin_key(settings)


def test_a_missing_home_says_to_init(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="run `init` first"):
        read_identity(load(role="verifier", home=tmp_path))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"seed": "AAAA"}, "field 'seed'"),
        ({"bbs_key": "A" * 43}, "bbs_key"),
        ({"name": ""}, "field 'name'"),
        ({"schemas": []}, "field 'schemas'"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"type": "cartera.verifier"}, "field 'type'"),
    ],
)
def test_malformed_home_files_name_the_field(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    settings = load(role="issuer", home=tmp_path)
    init_issuer(settings, name="Padró", schemas=[RESIDENT], now=NOW)
    path = tmp_path / "issuer" / "issuer.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(SettingsError, match=f"issuer.json: .*{problem}"):
        read_identity(settings)


def test_bad_init_arguments_are_caller_mistakes(tmp_path: Path) -> None:
    verifier = load(role="verifier", home=tmp_path)
    with pytest.raises(ValueError, match="trusted_issuers"):
        init_verifier(
            verifier,
            name="B",
            purposes=["dpv:ServiceProvision"],
            contact="x",
            trusted_issuers=["did:web:x"],
            now=NOW,
        )
    with pytest.raises(ValueError, match="dpv:Nothing"):
        init_verifier(
            verifier, name="B", purposes=["dpv:Nothing"], contact="x", trusted_issuers=[], now=NOW
        )
    with pytest.raises(ValueError, match="for a verifier"):
        init_issuer(verifier, name="P", schemas=[RESIDENT], now=NOW)
    assert not (tmp_path / "verifier").exists()


def test_schema_spellings() -> None:
    assert parse_schema("resident") == RESIDENT
    assert RESIDENT.names == (
        "expiry",
        "given_name",
        "family_name",
        "birthdate",
        "district",
        "postcode",
    )
    card = parse_schema("library_card:card_number=string,valid=boolean")
    assert card.name == "library_card" and card.type_of("valid") == "boolean"
    for bad, message in [
        ("nothing", "built-in"),
        ("x:a", "not attr=type"),
        ("x:a=colour", "attribute type"),
        ("x:expiry=date", "reserved"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_schema(bad)
