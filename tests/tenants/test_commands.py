from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_exists

from tenants.models import Domain, Town, TownStatus


def _run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_create_town_prints_the_town_url(db):
    out = _run(
        "create_town",
        "gravelines",
        "--name",
        "Gravelines",
        "--primary-color",
        "#0055a4",
        "--domain",
        "achetez-a-gravelines.fr",
        "--insee",
        "62386",
    )

    assert "Ville « Gravelines » créée en" in out
    assert "https://gravelines.test/" in out
    town = Town.objects.get(slug="gravelines")
    assert town.insee_codes == ["62386"]
    assert Domain.objects.filter(domain="achetez-a-gravelines.fr", is_verified=False).exists()


def test_create_town_with_a_bad_slug_fails_with_a_french_message(db):
    with pytest.raises(CommandError, match="lettres minuscules"):
        _run("create_town", "Grande Synthe", "--name", "Grande-Synthe")
    assert not Town.objects.filter(name="Grande-Synthe").exists()


def test_suspend_resume_and_delete_town(db):
    _run("create_town", "bergues", "--name", "Bergues")

    assert "suspendue" in _run("suspend_town", "bergues")
    assert Town.objects.get(slug="bergues").status == TownStatus.SUSPENDED
    assert "remise en ligne" in _run("resume_town", "bergues")
    assert Town.objects.get(slug="bergues").status == TownStatus.READY

    with pytest.raises(CommandError, match="--yes"):
        _run("delete_town", "bergues")
    assert schema_exists("v_bergues")

    assert "supprimée" in _run("delete_town", "bergues", "--yes")
    assert not Town.objects.filter(slug="bergues").exists()
    assert not Domain.objects.filter(domain="bergues.test").exists()
    assert not schema_exists("v_bergues")


def test_commands_on_an_unknown_town_fail_clearly(db):
    for command in ("suspend_town", "resume_town"):
        with pytest.raises(CommandError, match="Aucune ville « nulle-part »"):
            _run(command, "nulle-part")
