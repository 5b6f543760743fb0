"""Resumes the agent's assisted session on each request of their browser session.

After ``AuthenticationMiddleware``: it lends the request's user the merchant staff role for the
assisted merchant (``accounts.assisted.act_for_merchant``) and serves the request inside the
assisted context, so that the recorder writes each change with both identities. A request without
the session key costs nothing (no query); one with a stale key (session over, someone else's) drops it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from accounts.assisted import assisted_context
from onboarding.assisted.actions import SESSION_KEY, resume_assisted_session
from onboarding.assisted.recorder import record_request, recording

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The assisted mode's own pages: starting and ending a session are not changes to the merchant.
OWN_VIEWS = frozenset({"onboarding:assisted_start", "onboarding:assisted_end"})


class AssistedModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = getattr(request, "session", None)
        session_id = session.get(SESSION_KEY) if session is not None else None
        if session is None or session_id is None:
            return self.get_response(request)
        assisted = resume_assisted_session(user=request.user, session_id=session_id)
        if assisted is None:
            session.pop(SESSION_KEY, None)
            return self.get_response(request)
        with assisted_context(assisted), recording(request) as seen:
            response = self.get_response(request)
            match = request.resolver_match
            if (
                request.method in UNSAFE_METHODS
                and seen.needs_the_form
                and _changed_something(request, response)
                and (match is None or match.view_name not in OWN_VIEWS)
            ):
                record_request(assisted, request, response)
        return response


def _changed_something(request: HttpRequest, response: HttpResponseBase) -> bool:
    """A write that went through: redirected after success (or a 2xx to an HTMX or JSON call).

    A form sent back with its errors (200, full page) changed nothing.
    """
    if 300 <= response.status_code < 400:
        return True
    return 200 <= response.status_code < 300 and (
        request.headers.get("HX-Request") == "true" or response.get("Content-Type", "").startswith("application/json")
    )
