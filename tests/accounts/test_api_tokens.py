"""API tokens: each belongs to one town (the operator's to none), dies with its revocation or its user's
deactivation, and a malformed Authorization header is a 401, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken, Role, User
from accounts.tokens import issue_api_token


def _town_admin_token(town: object, email: str) -> str:
    with town:
        admin = User.objects.create_user(email=email, role=Role.TOWN_ADMIN)
        return issue_api_token(user=admin, name="intégration")


def test_api_token_of_one_town_is_refused_on_another(db, town_a, town_b):
    key = _town_admin_token(town_a, "maire@ville-a.fr")
    assert (
        Client(HTTP_HOST="ville-a.test", HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/manage/products/").status_code
        == 200
    )
    assert (
        Client(HTTP_HOST="ville-b.test", HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/manage/products/").status_code
        == 401
    )
    assert Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/towns/").status_code == 401


def test_operator_token_is_refused_on_a_town(db):
    operator = User.objects.create_user(email="op@operateur.test", role=Role.OPERATOR, is_staff=True)
    key = issue_api_token(user=operator)
    response = Client(HTTP_HOST="ville-a.test", HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/manage/products/")
    assert response.status_code == 401


def test_revoked_token_and_token_of_a_disabled_user_are_refused(db, town_a):
    key = _town_admin_token(town_a, "maire@ville-a.fr")
    api = Client(HTTP_HOST="ville-a.test", HTTP_AUTHORIZATION=f"Token {key}")
    with town_a:
        User.objects.filter(email="maire@ville-a.fr").update(is_active=False)
    assert api.get("/api/v1/manage/products/").status_code == 401
    with town_a:
        User.objects.filter(email="maire@ville-a.fr").update(is_active=True)
        ApiToken.objects.all().delete()
    assert api.get("/api/v1/manage/products/").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Token " + "x" * 10_000, "Token é", "token abcdefgh", "Bearer abc", "Token \t"],
)
def test_malformed_authorization_headers_are_401_never_500(db, town_a, header):
    key = _town_admin_token(town_a, "maire@ville-a.fr")
    wrong_suffix = f"Token {key[:8]}{'A' * 35}"
    for value in (header, wrong_suffix):
        response = Client(HTTP_HOST="ville-a.test", HTTP_AUTHORIZATION=value).get("/api/v1/manage/products/")
        assert response.status_code in (401, 403), (value[:40], response.status_code)


def test_token_requests_need_no_csrf_but_session_writes_do(db, town_a):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", role=Role.TOWN_ADMIN)
        strict = Client(HTTP_HOST="ville-a.test", enforce_csrf_checks=True)
        strict.force_login(admin)
    assert strict.post("/api/v1/manage/products/", {}, content_type="application/json").status_code == 403
