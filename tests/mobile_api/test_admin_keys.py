"""`mobile_api.keys`: an operator's admin keys, on SQLite and PostgreSQL stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mobile_api.auth import hash_api_key
from mobile_api.errors import SettingsError
from mobile_api.keys import ID_DIGITS, add_key, list_keys, revoke_key
from mobile_api.settings import Role, SessionSettings, load
from mobile_api.store import add_api_key, api_key_known, open_store

T0 = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> SessionSettings:
    return load(role=Role.VERIFIER, home=tmp_path, database_url=db_url)


def known(settings: SessionSettings, key: str) -> bool:
    engine = open_store(settings.url)
    try:
        return api_key_known(engine, key_hash=hash_api_key(key))
    finally:
        engine.dispose()


def test_add_list_and_revoke_by_id_or_by_key(settings: SessionSettings) -> None:
    first, info = add_key(settings, label="front desk", now=T0)
    second, _ = add_key(settings, label=" night shift ", now=T0 + timedelta(minutes=1))
    whole = T0.replace(microsecond=0)
    assert info.id == hash_api_key(first)[:ID_DIGITS] and info.created_at == whole
    assert [(k.label, k.created_at) for k in list_keys(settings)] == [
        ("front desk", whole),  # oldest first
        ("night shift", whole + timedelta(minutes=1)),
    ]
    assert revoke_key(settings, info.id).label == "front desk"
    assert not known(settings, first) and known(settings, second)
    assert revoke_key(settings, second).label == "night shift"  # by the key's own text
    assert list_keys(settings) == []


def test_an_ambiguous_or_unknown_id_revokes_nothing(settings: SessionSettings) -> None:
    engine = open_store(settings.url)
    try:
        for tail in ("0" * 58, "1" * 58):
            add_api_key(engine, key_hash="abcdef" + tail, label="twin", now=1)
    finally:
        engine.dispose()
    with pytest.raises(SettingsError, match="names 2 keys"):
        revoke_key(settings, "abcdef")
    with pytest.raises(SettingsError, match="no admin key"):
        revoke_key(settings, "fedcba")
    with pytest.raises(SettingsError, match="give a key"):
        revoke_key(settings, "abc")  # too short to be an id
    assert len(list_keys(settings)) == 2
    assert revoke_key(settings, "abcdef1").id == "abcdef111111"


@pytest.mark.parametrize("label", ["", "   ", "x" * 201])
def test_a_key_needs_a_label(settings: SessionSettings, label: str) -> None:
    with pytest.raises(SettingsError, match="label"):
        add_key(settings, label=label, now=T0)
    assert list_keys(settings) == []
