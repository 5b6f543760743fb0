"""Signed values in links: the invitation a merchant opens, and a staff member's calendar feed.

Both are salted with the town (``accounts.signing.town_salt``): a link minted in town A is refused
in town B even though ids repeat from town to town. The invitation link carries only the invitation's
id (short enough for an SMS); the feed link carries the user's id and a nonce kept in the database,
so generating a new link voids the old one.
"""

from __future__ import annotations

import secrets

from django.core import signing

from accounts.signing import town_salt

_INVITATION = "onboarding.sessions.invitation"
_FEED = "onboarding.sessions.feed"


def make_invitation_token(invitation_id: int) -> str:
    return signing.Signer(salt=town_salt(_INVITATION)).sign(str(invitation_id))


def invitation_id_from_token(token: str) -> int | None:
    """The invitation id, or None when the token was forged, altered or minted in another town."""
    try:
        value = signing.Signer(salt=town_salt(_INVITATION)).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def new_feed_nonce() -> str:
    return secrets.token_urlsafe(16)


def make_feed_token(*, user_id: int, nonce: str) -> str:
    return signing.Signer(salt=town_salt(_FEED)).sign_object({"u": user_id, "n": nonce}, compress=False)


def feed_claims_from_token(token: str) -> tuple[int, str] | None:
    """(user id, nonce), or None when the token was forged, altered or minted in another town."""
    try:
        claims = signing.Signer(salt=town_salt(_FEED)).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int) or not isinstance(claims.get("n"), str):
        return None
    return claims["u"], claims["n"]
