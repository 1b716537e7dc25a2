"""Root of the `cartera` command: composes each role's sub-app."""

from __future__ import annotations

from importlib.metadata import version

import typer

from cli.audit import app as audit_app
from cli.consent import app as consent_app
from cli.credential import app as credential_app
from cli.demo import demo
from cli.issuer import app as issuer_app
from cli.ledger import app as ledger_app
from cli.petition import app as petition_app
from cli.present import EXIT_CODES as PRESENT_EXIT_CODES
from cli.present import present
from cli.verifier import app as verifier_app
from cli.wallet import app as wallet_app

app = typer.Typer(
    name="cartera",
    help="Cartera: a privacy-preserving personal data wallet with an auditable consent ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Cartera: a privacy-preserving personal data wallet with an auditable consent ledger."""


@app.command("version")
def show_version() -> None:
    """Print the installed version."""
    typer.echo(version("cartera"))


app.command("demo")(demo)
app.add_typer(ledger_app, name="ledger")
app.add_typer(wallet_app, name="wallet")
app.add_typer(credential_app, name="credential")
app.add_typer(consent_app, name="consent")
app.command("present", epilog=PRESENT_EXIT_CODES)(present)
app.add_typer(audit_app, name="audit")
app.add_typer(issuer_app, name="issuer")
app.add_typer(verifier_app, name="verifier")
app.add_typer(petition_app, name="petition")
