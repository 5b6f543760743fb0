"""Flash messages in a cookie signed for one town (the session takes what does not fit).

Django signs the ``messages`` cookie with the one SECRET_KEY every town shares, so a cookie minted on
town A ("Connexion avec admin@… réussie") would be displayed by town B. Browsers do not send a
host-only cookie across hosts, but nothing else stopped it: the salt now names the town.

Kept in a cookie rather than moved to the session: an anonymous visitor's message (logged out,
language changed) then costs no session row, and the salt is the same helper as every other signed
value's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core import signing

from accounts.signing import town_salt


class TownCookieStorage(CookieStorage):
    # Django's class attribute ("django.contrib.messages"), which django-stubs does not declare.
    key_salt: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request, after the town middleware has set the schema.
        self.signer = signing.get_cookie_signer(salt=town_salt(self.key_salt))


class TownFallbackStorage(FallbackStorage):
    storage_classes = (TownCookieStorage, SessionStorage)
