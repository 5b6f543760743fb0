"""Requests of signed-in users, for views and their type annotations.

``request.user`` is ``User | AnonymousUser`` on any request. Behind ``login_required`` or
``signed_in_view`` it is a ``User``: annotate such a view's request as ``AuthenticatedRequest``.
Never instantiated: the objects are Django's requests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeGuard, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect

from accounts.models import User

P = ParamSpec("P")
# What the view answers: a page, a redirect, a streamed file.
R = TypeVar("R", bound=HttpResponseBase)


class AuthenticatedRequest(HttpRequest):
    user: User


def is_signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedRequest]:
    return request.user.is_authenticated


def signed_in_view(
    check: Callable[[User], object],
) -> Callable[
    [Callable[Concatenate[AuthenticatedRequest, P], R]], Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]
]:
    """A view decorator: anonymous → login page; signed in → ``check(user)`` (which raises to refuse), then the view."""

    def decorator(
        view: Callable[Concatenate[AuthenticatedRequest, P], R],
    ) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R | HttpResponseRedirect:
            if not is_signed_in(request):
                return redirect_to_login(request.get_full_path())
            check(request.user)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
