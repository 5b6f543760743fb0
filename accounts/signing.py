"""Salts that tie every signed value to the town it was minted in.

One secret key signs for every town, and every town runs the same code, so a signed value (a flash
message cookie, an order status link, a password-reset token, a demo-gateway
notification) minted on town A would verify on town B unless its salt names the town. Browsers keep
host-only cookies to their host, but links travel (forwarded e-mails, a pasted URL), and ids repeat
from town to town (user 5 exists in every schema).

It lives here, in the lowest app, because ``accounts`` signs too (password resets) and
may import no app above it; it only needs the schema the connection is set to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoPasswordResetTokenGenerator

from tenants.connection import connection

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def town_salt(purpose: str) -> str:
    """``purpose`` scoped to the current schema (a town's, or ``public`` for the operator site)."""
    return f"{purpose}:town={connection.schema_name}"


class TownTokenGenerator(DjangoPasswordResetTokenGenerator):
    """Django's one-use password token (void once the password or last login changes), salted with the town."""

    purpose = "accounts.token"

    @property
    def key_salt(self) -> str:  # type: ignore[override]  # Django's is a plain attribute; the salt follows the schema
        return town_salt(self.purpose)


class PasswordResetTokenGenerator(TownTokenGenerator):
    """allauth's reset token (it also changes with the account's e-mail addresses), salted with the town.

    Named by ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR. allauth builds its default generator while its
    forms module is being imported, so that module is imported here only when a token is made.
    """

    purpose = "accounts.password-reset"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        from allauth.account.forms import EmailAwarePasswordResetTokenGenerator

        return EmailAwarePasswordResetTokenGenerator()._make_hash_value(user, timestamp)
