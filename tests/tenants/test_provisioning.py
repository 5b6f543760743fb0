from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from accounts.models import Invitation, Role, User
from tenants.actions import ProvisioningError, provision_town
from tenants.models import Domain, Town, TownStatus
from tenants.signals import town_provisioned
from townsite.models import LegalPage


def _nothing_created(slug: str) -> bool:
    schema = "v_" + slug.replace("-", "_")
    return (
        not Town.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not schema_exists(schema)
    )


@pytest.mark.slow
def test_provision_town_creates_schema_domain_admin_and_legal_pages(db, mailoutbox):
    result = provision_town(slug="saint-omer", name="Saint-Omer", admin_email="Maire@Saint-Omer.fr")

    town = Town.objects.get(slug="saint-omer")
    assert town.schema_name == "v_saint_omer"
    assert town.status == TownStatus.READY
    assert schema_exists("v_saint_omer")
    assert list(town.domains.values_list("domain", "is_primary", "is_verified")) == [("saint-omer.test", True, True)]
    assert result.method == "clone"
    assert result.url == "https://saint-omer.test/"
    with town:
        # the first admin is invited: the account is made when they open the link and choose a password
        assert not User.objects.exists()
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role, invitation.invited_by_id) == (
            "maire@saint-omer.fr",
            Role.TOWN_ADMIN,
            None,
        )
        assert sorted(LegalPage.objects.values_list("kind", flat=True)) == [
            "accessibilite",
            "cgv",
            "confidentialite",
            "mentions-legales",
        ]
        assert "Saint-Omer" in LegalPage.objects.get(kind="mentions-legales").body
    assert connection.schema_name == "public"


@pytest.mark.slow
def test_invitation_email_is_sent_after_commit_with_a_set_password_link(
    db, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        provision_town(slug="arques", name="Arques", admin_email="admin@arques.fr")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["admin@arques.fr"]
    assert message.subject == "Votre accès à la place de marché de Arques"
    assert "https://arques.test/invitation/" in message.body
    assert message.alternatives[0][1] == "text/html"


@pytest.mark.slow
def test_custom_domain_starts_unverified(db):
    provision_town(slug="calais-bis", name="Calais", custom_domain="MonShoppingCestCalais.fr.")

    domain = Domain.objects.get(domain="monshoppingcestcalais.fr")
    assert (domain.is_primary, domain.is_verified) == (False, False)
    assert domain.verification_token


@pytest.mark.parametrize(
    ("slug", "message_part"),
    [
        ("Calais", "minuscules"),
        ("orléans", "sans accent"),
        ("saint omer", "sans espace"),
        ("pg_calais", "pg_"),
        ("pg-calais", "pg_"),
        ("a" * 41, "trop long"),
        ("www", "réservé"),
        ("api", "réservé"),
        ("admin", "réservé"),
        ("static", "réservé"),
        ("-calais", "tiret"),
        ("", "obligatoire"),
    ],
)
def test_bad_slug_is_refused_in_french_and_creates_nothing(db, slug, message_part):
    towns_before = Town.objects.count()

    with pytest.raises(ProvisioningError) as error:
        provision_town(slug=slug, name="Nom")

    assert message_part in " ".join(error.value.messages)
    assert Town.objects.count() == towns_before


def test_same_slug_twice_is_a_clear_error_and_changes_nothing(db, town_a):
    domains_before = list(Domain.objects.order_by("pk").values_list("domain", flat=True))

    with pytest.raises(ProvisioningError) as error:
        provision_town(slug="ville-a", name="Autre nom")

    assert error.value.messages == ["Une ville avec l'identifiant « ville-a » existe déjà."]
    assert Town.objects.get(slug="ville-a").name == "Ville A"
    assert list(Domain.objects.order_by("pk").values_list("domain", flat=True)) == domains_before


@pytest.mark.parametrize("domain", ["pas un domaine", "calais", "-calais.fr", "192.168.0.1", "exemple..fr"])
def test_malformed_custom_domain_is_refused(db, domain):
    with pytest.raises(ProvisioningError) as error:
        provision_town(slug="gravelines", name="Gravelines", custom_domain=domain)

    assert "nom de domaine valide" in " ".join(error.value.messages) or "adresse IP" in " ".join(error.value.messages)
    assert _nothing_created("gravelines")


@pytest.mark.slow
def test_duplicate_custom_domain_is_refused(db):
    provision_town(slug="premiere", name="Première", custom_domain="achetez-ici.fr")

    with pytest.raises(ProvisioningError) as error:
        provision_town(slug="seconde", name="Seconde", custom_domain="achetez-ici.fr")

    assert error.value.messages == ["Le domaine « achetez-ici.fr » est déjà utilisé par une autre ville."]
    assert _nothing_created("seconde")


def test_platform_subdomain_cannot_be_a_custom_domain(db):
    with pytest.raises(ProvisioningError):
        provision_town(slug="wimereux", name="Wimereux", custom_domain="ville-a.test")
    assert _nothing_created("wimereux")


def test_low_contrast_colour_is_refused_with_an_explanation(db):
    with pytest.raises(ProvisioningError) as error:
        provision_town(slug="boulogne", name="Boulogne", primary_color="#ffdd00")

    message = " ".join(error.value.messages)
    assert "trop claire" in message
    assert "4,5:1" in message
    assert _nothing_created("boulogne")


@pytest.mark.slow
def test_failure_in_the_middle_of_provisioning_leaves_no_schema_no_town_no_domain(db):
    def explode(sender, town, **kwargs):
        raise RuntimeError("injected failure while seeding the town")

    town_provisioned.connect(explode, dispatch_uid="explode")
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            provision_town(slug="dunkerque", name="Dunkerque", admin_email="a@dunkerque.fr")
    finally:
        town_provisioned.disconnect(dispatch_uid="explode")

    assert _nothing_created("dunkerque")
    assert connection.schema_name == "public"


@pytest.mark.slow
def test_failure_after_the_domain_is_written_rolls_everything_back(db, monkeypatch):
    import accounts.actions

    def broken_invite(**kwargs):
        raise ConnectionError("mail relay unreachable while creating the admin")

    monkeypatch.setattr(accounts.actions, "invite_person", broken_invite)

    with pytest.raises(ConnectionError):
        provision_town(slug="lille", name="Lille", admin_email="admin@lille.fr")

    assert _nothing_created("lille")


@pytest.mark.slow
def test_spare_schema_is_renamed_when_the_pool_has_one(db):
    from tenants.actions import refill_spare_pool

    assert refill_spare_pool(size=1) == 1
    spare = Town.objects.get(status=TownStatus.SPARE)

    result = provision_town(slug="etaples", name="Étaples")

    assert result.method == "spare"
    assert result.town.pk == spare.pk
    assert not Town.objects.filter(status=TownStatus.SPARE).exists()
    assert schema_exists("v_etaples")
    assert not schema_exists(spare.schema_name)
    with result.town:
        assert LegalPage.objects.count() == 4


def test_town_row_is_never_created_in_a_town_schema(db, town_a):
    with town_a, pytest.raises(ProvisioningError):
        # provision_town goes back to public first; a duplicate slug proves it looked there
        provision_town(slug="ville-a", name="Ville A")


@pytest.mark.slow
def test_two_towns_cloned_from_the_template_at_once_are_both_created(django_db_setup, django_db_blocker):
    """django-tenants' clone recreates a helper type in public each time: two clones at once used to
    collide there, and the failure was reported as "this slug already exists"."""
    from tenants.actions import delete_town
    from tests.conftest import run_concurrently

    slugs = [f"clone-{uuid.uuid4().hex[:8]}" for _ in range(2)]

    def provision(index: int) -> str:
        return provision_town(slug=slugs[index], name=f"Clone {index}", method="clone").method

    with django_db_blocker.unblock():
        with connection.cursor() as cursor:  # the first clone ever: the helper type does not exist yet
            cursor.execute("DROP TYPE IF EXISTS public.cloneparms CASCADE")
        try:
            results = run_concurrently(2, provision)
            assert results == ["clone", "clone"]
            assert sorted(Town.objects.filter(slug__in=slugs).values_list("slug", flat=True)) == sorted(slugs)
        finally:
            connection.set_schema_to_public()
            for town in Town.objects.filter(slug__in=slugs):
                delete_town(town=town)
