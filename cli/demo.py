"""`cartera demo`: a short, narrated credential story (issue, present, verify).

A placeholder until the end-to-end demo (wallet, ledger, services) exists: everything
happens in memory, with the `attestations.credentials` recipes only.
"""

from __future__ import annotations

import dataclasses
import datetime
import os

import typer
from rich.console import Console
from rich.table import Table

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.errors import InvalidProof
from attestations.schemas import Schema, Value
from cli.errors import handle_errors

BIKES = "did:web:bicing.barcelona.example"
LIBRARY = "did:web:biblioteques.barcelona.example"


def _short(data: bytes) -> str:
    return data.hex()[:16] + "…"


@handle_errors
def demo() -> None:
    """Issue a resident credential blindly, then show parts of it to two services."""
    say = Console()
    say.rule("[bold]Cartera: a credential story")
    issuer = IssuerKey.generate()
    say.print(f"The population register makes a BBS key: [cyan]{issuer.public_key()!r}[/]")
    resident = Schema.create(
        "resident",
        [
            ("given_name", "string"),
            ("family_name", "string"),
            ("birthdate", "date"),
            ("district", "string"),
            ("postcode", "string"),
        ],
    )
    say.print(
        f"Schema [bold]resident[/]: {', '.join(resident.names)}  ({resident.schema_id[:23]}…)"
    )

    secret = HolderSecret.generate()
    request, state = begin_issuance(secret, issuer.public_key(), resident)
    say.print(f"Núria's wallet commits to its secret: commitment {_short(request.commitment)}")
    values: dict[str, Value] = {
        "expiry": datetime.date.today() + datetime.timedelta(days=365),
        "given_name": "Núria",
        "family_name": "Puig",
        "birthdate": datetime.date(1990, 3, 14),
        "district": "Gràcia",
        "postcode": "08012",
    }
    response = issue(issuer, resident, values, request)
    credential = finish_issuance(state, response)
    say.print("The register signs without seeing the secret; the wallet checks the signature. ✔")

    say.rule("Bicing asks for district and postcode")
    nonce = os.urandom(16)
    shown = present(
        credential, secret, disclose=["district", "postcode"], verifier_id=BIKES, nonce=nonce
    )
    wire = Presentation.from_json(shown.to_json())
    got = verify_presentation(wire, issuer.public_key(), resident, verifier_id=BIKES, nonce=nonce)
    table = Table("attribute", "value", title="What Bicing learns")
    for name, value in got.items():
        table.add_row(name, str(value))
    say.print(table)
    say.print(f"Presentation: {len(shown.to_json())} bytes; pseudonym {_short(shown.pseudonym)}")

    forged = dataclasses.replace(wire, disclosed={**wire.disclosed, "district": "Sarrià"})
    try:
        verify_presentation(forged, issuer.public_key(), resident, verifier_id=BIKES, nonce=nonce)
    except InvalidProof:
        say.print("Changing the district to Sarrià: [red]refused[/]: the proof no longer verifies.")
    else:
        say.print("[red]A forged presentation was accepted: this is a bug.[/]")
        raise typer.Exit(1)

    say.rule("A second visit, and another service")
    nonce2, nonce3 = os.urandom(16), os.urandom(16)
    again = present(credential, secret, disclose=["postcode"], verifier_id=BIKES, nonce=nonce2)
    verify_presentation(again, issuer.public_key(), resident, verifier_id=BIKES, nonce=nonce2)
    library = present(credential, secret, disclose=["district"], verifier_id=LIBRARY, nonce=nonce3)
    verify_presentation(library, issuer.public_key(), resident, verifier_id=LIBRARY, nonce=nonce3)
    same = "the same" if again.pseudonym == shown.pseudonym else "a DIFFERENT"
    other = "a different" if library.pseudonym != shown.pseudonym else "the SAME"
    say.print(f"Bicing again: {same} pseudonym {_short(again.pseudonym)}, fresh proof bytes.")
    say.print(f"The library: {other} pseudonym {_short(library.pseudonym)}: no way to link them.")
