"""``registry token``: bearer tokens for the API."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.cli.common import one_line_errors, system_unit
from registry.services import tokens
from registry.storage.values import instant


@click.group("token", help="Bearer tokens for the API.")
def group() -> None:
    pass


@group.command("create", help="Create a token; prints it once, as the last line.")
@click.option("--role", required=True, type=click.Choice(tokens.ROLES))
@click.option("--org", default=None, metavar="Organization/ID",
              help="The hub (hub-admin) or spoke (spoke-clinician) the token acts for.")
@click.option("--country", default=None, metavar="CC",
              help="ISO 3166-1 alpha-2 country of a national-program token.")
@click.option("--name", default="cli", show_default=True, help="Who or what the token is for.")
@click.option("--days", default=None, type=int, help="Validity in days (default from config).")
@with_appcontext
@one_line_errors
def create(role: str, org: str | None, country: str | None, name: str,
           days: int | None) -> None:
    if org and country:
        raise click.ClickException("Give --org or --country, not both")
    validity = days if days is not None else current_app.config["REGISTRY"].token_days
    with system_unit("token-create", write=True) as service:
        plaintext, token_id = tokens.create_token(service.ctx.conn, role=role, name=name,
                                                  days=validity, binding=org or country)
    binding = org or (country or "").upper()
    bound = f" for {binding}" if binding else ""
    click.echo(f"token {token_id} for {name!r} ({role}{bound}), valid {validity} days:",
               err=True)
    click.echo(plaintext)


@group.command("list", help="List tokens (never their secrets).")
@with_appcontext
def list_tokens() -> None:
    with system_unit("token-list", write=False) as service:
        rows = tokens.list_tokens(service.ctx.conn)
    for t in rows:
        state = "revoked" if t.revoked else "active"
        expires = instant(t.expires)[:10] if t.expires else "never"
        click.echo(f"{t.id}\t{t.role}\t{t.binding or '-'}\t{t.name}\t{state}\texpires {expires}")


@group.command("revoke", help="Revoke a token by id.")
@click.argument("token_id", type=int)
@with_appcontext
@one_line_errors
def revoke(token_id: int) -> None:
    with system_unit("token-revoke", write=True) as service:
        tokens.revoke_token(service.ctx.conn, token_id)
    click.echo(f"token {token_id} revoked")
