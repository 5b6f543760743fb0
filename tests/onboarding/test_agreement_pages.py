"""The agreement's pages: the town's desk (text, preview, publication, where each merchant stands,
paper copies) and the merchant's page (read, sign, download); the pipeline hears acceptances."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from onboarding.models import Prospect, Step
from settlement.agreements.actions import publish_agreement_version
from settlement.agreements.models import AcceptanceMethod, AgreementAcceptance, AgreementTemplate
from settlement.agreements.signals import agreement_accepted
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.onboarding.factories import make_prospect
from tests.settlement.agreement_factories import MINIMAL_PDF, shown_to
from tests.settlement.payout_factories import accept_current_agreement, town_user

DESK = reverse("onboarding:agreement", urlconf="config.urls_town")


def merchant_page(slug: str) -> str:
    return reverse("payouts:agreement", kwargs={"merchant_slug": slug}, urlconf="config.urls_town")


def paper_page(slug: str) -> str:
    return reverse("onboarding:paper_agreement", kwargs={"merchant_slug": slug}, urlconf="config.urls_town")


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match[1]


@pytest.fixture
def bakery(town_a):
    with town_a:
        return MerchantFactory(name="Boulangerie du Parc", slug="boulangerie-du-parc", siret="73282932000074")


# --- the town's desk ------------------------------------------------------------------------------


def test_the_desk_lists_where_each_merchant_stands_in_a_fixed_number_of_queries(
    client_a, town_a, django_assert_num_queries
):
    with town_a:
        accepted, never = MerchantFactory(name="Boulangerie"), MerchantFactory(name="Crêperie")
        outdated = MerchantFactory(name="Fromagerie")
        accept_current_agreement(outdated)
        publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="Convention 2 de {{ commercant }}.")
        accept_current_agreement(accepted)
        for index in range(5):
            MerchantFactory(name=f"Zinc {index}")
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    with django_assert_num_queries(10):
        page = client_a.get(DESK).content.decode()

    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td>', page)
    assert rows[:3] == [
        ("Boulangerie", "Version 2 acceptée"),
        ("Crêperie", "Non acceptée"),
        ("Fromagerie", "Version 1 acceptée : nouvelle version à accepter"),
    ]
    assert rows[3:8] == [(f"Zinc {index}", "Non acceptée") for index in range(5)]
    assert paper_page(never.slug) in page
    assert paper_page(accepted.slug) not in page
    assert "Seul un administrateur de la ville publie une nouvelle version." in page


def test_an_admin_previews_with_a_sample_merchant_then_publishes(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    text = "Convention entre {{ ville }} et {{ commercant }} (SIRET {{ siret }}), commission {{ commission }}."

    preview = client_a.post(DESK, {"text": text, "preview": "1"}).content.decode()

    assert "Convention entre Ville A et Boulangerie Exemple (SIRET 73282932000074), commission 0\u00a0%." in preview
    with town_a:
        assert AgreementTemplate.objects.count() == 1

    response = client_a.post(DESK, {"text": text, "publish": "1"})

    assert response.status_code == 302
    with town_a:
        assert list(AgreementTemplate.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
        assert AgreementTemplate.objects.get(number=2).text == text + "\n"
    assert "Version 2 publiée" in client_a.get(DESK).content.decode()


def test_an_unknown_merge_field_or_an_agents_publication_is_refused_and_nothing_is_published(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    page = client_a.post(DESK, {"text": "Prix : {{ prix }}", "publish": "1"}).content.decode()
    assert "Champs inconnus : {{ prix }}." in page
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    page = client_a.post(DESK, {"text": "Convention de {{ commercant }}.", "publish": "1"}).content.decode()
    assert "Seul un administrateur de la ville publie une version de la convention." in page
    with town_a:
        assert AgreementTemplate.objects.count() == 1


@pytest.mark.parametrize("role", [Role.MERCHANT_STAFF, Role.RESIDENT, Role.COURIER])
def test_the_desk_is_for_town_admins_and_agents_only(client_a, town_a, bakery, role):
    sign_in(client_a, town_a, role=role)
    assert client_a.get(DESK).status_code == 403
    assert client_a.get(paper_page(bakery.slug)).status_code == 403


def test_an_agent_records_a_paper_copy_with_its_scan(client_a, town_a, bakery):
    agent = sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    page = client_a.get(paper_page(bakery.slug)).content.decode()
    assert "Boulangerie du Parc, SIRET 73282932000074" in page
    fields = {"version_id": hidden(page, "version_id"), "text_sha256": hidden(page, "text_sha256")}

    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile("convention-signee.jpg", MINIMAL_PDF, content_type="image/jpeg")
    response = client_a.post(
        paper_page(bakery.slug), {**fields, "signer_name": "Paul Durand", "signed_on": "2026-12-01", "scan": scan}
    )

    assert response.status_code == 302
    with town_a:
        acceptance = AgreementAcceptance.objects.get(merchant=bakery)
        assert (acceptance.method, acceptance.signer_name, acceptance.recorded_by_id, acceptance.scan_content_type) == (
            AcceptanceMethod.PAPER,
            "Paul Durand",
            agent.pk,
            "application/pdf",
        )
    document = client_a.get(
        reverse(
            "payouts:agreement_document",
            kwargs={"merchant_slug": bakery.slug, "acceptance_id": acceptance.pk},
            urlconf="config.urls_town",
        )
    )
    assert document["Content-Disposition"] == 'attachment; filename="convention-v1-boulangerie-du-parc.pdf"'
    assert document["Content-Type"] == "application/pdf"
    assert b"".join(document.streaming_content) == MINIMAL_PDF


def test_a_paper_copy_with_a_file_that_is_no_scan_is_refused(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    page = client_a.get(paper_page(bakery.slug)).content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a document", content_type="application/pdf")
    response = client_a.post(
        paper_page(bakery.slug),
        {
            "version_id": hidden(page, "version_id"),
            "text_sha256": hidden(page, "text_sha256"),
            "signer_name": "Paul Durand",
            "signed_on": "2026-12-01",
            "scan": scan,
        },
    )

    assert response.status_code == 200
    assert "Ce fichier n’est ni un PDF, ni une image JPEG ou PNG." in response.content.decode()
    with town_a:
        assert not AgreementAcceptance.objects.exists()


# --- the merchant's page --------------------------------------------------------------------------


def test_the_merchant_reads_signs_and_downloads_the_signed_pdf(client_a, town_a, bakery):
    user = sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)
    page = client_a.get(merchant_page(bakery.slug)).content.decode()
    with town_a:
        shown = shown_to(bakery)
    assert "La convention (version 1) n’est pas encore acceptée" in page
    assert hidden(page, "text_sha256") == shown.sha256
    assert shown.sha256 in page

    response = client_a.post(
        merchant_page(bakery.slug),
        {
            "version_id": hidden(page, "version_id"),
            "text_sha256": shown.sha256,
            "signer_name": "Marie Dupont",
            "accept": "on",
        },
        HTTP_USER_AGENT="Firefox de test",
    )

    assert response.status_code == 302
    with town_a:
        acceptance = AgreementAcceptance.objects.get(merchant=bakery)
        assert (acceptance.signer_name, acceptance.ip_address, acceptance.user_agent, acceptance.recorded_by_id) == (
            "Marie Dupont",
            "127.0.0.1",
            "Firefox de test",
            user.pk,
        )
        assert acceptance.text_sha256 == shown.sha256
    page = client_a.get(merchant_page(bakery.slug)).content.decode()
    assert "La version 1 en vigueur est acceptée depuis le" in page
    assert 'name="accept"' not in page
    document = client_a.get(
        reverse(
            "payouts:agreement_document",
            kwargs={"merchant_slug": bakery.slug, "acceptance_id": acceptance.pk},
            urlconf="config.urls_town",
        )
    )
    assert document["X-Content-Type-Options"] == "nosniff"
    assert b"".join(document.streaming_content).startswith(b"%PDF-")


def test_a_version_published_while_the_merchant_reads_is_not_accepted_and_the_page_says_so(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)
    page = client_a.get(merchant_page(bakery.slug)).content.decode()
    with town_a:
        publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="Convention 2 de {{ commercant }}.")

    response = client_a.post(
        merchant_page(bakery.slug),
        {
            "version_id": hidden(page, "version_id"),
            "text_sha256": hidden(page, "text_sha256"),
            "signer_name": "Marie Dupont",
            "accept": "on",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Une nouvelle version de la convention (version 2) a été publiée pendant votre lecture" in page
    assert "Convention 2 de Boulangerie du Parc." in page
    with town_a:
        assert not AgreementAcceptance.objects.exists()


def test_after_a_new_version_the_merchant_is_asked_to_accept_it(client_a, town_a, bakery):
    with town_a:
        accept_current_agreement(bakery)
        publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="Convention 2 de {{ commercant }}.")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)

    page = client_a.get(merchant_page(bakery.slug)).content.decode()

    assert "Une nouvelle version de la convention est à accepter." in page
    assert "jusqu’à l’acceptation de la version 2." in page


def test_a_town_agent_reads_the_merchants_page_but_may_not_sign_it(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    page = client_a.get(merchant_page(bakery.slug)).content.decode()
    assert 'name="accept"' not in page
    response = client_a.post(
        merchant_page(bakery.slug),
        {
            "version_id": hidden(page, "version_id") if 'name="version_id"' in page else "1",
            "text_sha256": "0" * 64,
            "signer_name": "Agent",
            "accept": "on",
        },
    )
    assert response.status_code == 403
    with town_a:
        assert not AgreementAcceptance.objects.exists()


def test_the_staff_of_another_merchant_get_404(client_a, town_a, bakery):
    with town_a:
        other = MerchantFactory(name="Fromagerie", slug="fromagerie")
        acceptance = accept_current_agreement(bakery)
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=other)
    assert client_a.get(merchant_page(bakery.slug)).status_code == 404
    document = reverse(
        "payouts:agreement_document",
        kwargs={"merchant_slug": bakery.slug, "acceptance_id": acceptance.pk},
        urlconf="config.urls_town",
    )
    assert client_a.get(document).status_code == 404


def test_the_box_of_the_bank_details_page_records_an_online_acceptance_of_the_version_shown(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)
    url = reverse("payouts:bank_details_edit", kwargs={"merchant_slug": bakery.slug}, urlconf="config.urls_town")
    page = client_a.get(url).content.decode()
    assert "J’accepte la version 1 de la convention de partenariat." in page

    response = client_a.post(
        url,
        {
            "holder_name": "Boulangerie du Parc",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "street": "rue Royale",
            "postcode": "62100",
            "town": "Calais",
            "country": "FR",
            "agreement-version_id": hidden(page, "agreement-version_id"),
            "agreement-text_sha256": hidden(page, "agreement-text_sha256"),
            "agreement-accept": "on",
            "agreement-signer_name": "Marie Dupont",
        },
    )

    assert response.status_code == 302
    with town_a:
        acceptance = AgreementAcceptance.objects.get(merchant=bakery)
        assert (acceptance.method, acceptance.signer_name, acceptance.version.number) == ("online", "Marie Dupont", 1)


# --- the pipeline hears settlement ----------------------------------------------------------------


def test_an_acceptance_and_saved_bank_details_move_the_prospect_on(town_a, django_capture_on_commit_callbacks):
    from settlement.payouts.bank_details import save_payout_account

    with town_a:
        prospect = make_prospect(name="Boulangerie")
        Prospect.objects.filter(pk=prospect.pk).update(step=Step.INFO_SESSION)
        with django_capture_on_commit_callbacks(execute=True):
            accept_current_agreement(prospect.merchant)
            agreement_accepted.send(sender=AgreementAcceptance, merchant_id=prospect.merchant_id, version=1)
        assert Prospect.objects.get(pk=prospect.pk).step == Step.AGREEMENT

        with django_capture_on_commit_callbacks(execute=True):
            save_payout_account(
                merchant=prospect.merchant,
                actor=town_user(Role.TOWN_AGENT),
                holder_name="Boulangerie",
                iban="FR7630006000011234567890189",
                street="rue Royale",
                postcode="62100",
                town="Calais",
            )
        assert Prospect.objects.get(pk=prospect.pk).step == Step.BANK_DETAILS


def test_an_agent_acting_for_the_merchant_in_assisted_mode_still_may_not_sign_online(client_a, town_a, bakery):
    # Assisted mode lends the agent the merchant staff role for the request: signing stays the merchant's own act.
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    started = client_a.post(f"/gestion/accompagnement/assistance/pour-le-compte-de/{bakery.slug}/", {"reason": ""})
    assert started.status_code == 302
    page = client_a.get(merchant_page(bakery.slug)).content.decode()
    assert "Vous agissez pour le compte de" in page
    assert 'name="accept"' not in page
    with town_a:
        shown = shown_to(bakery)
    response = client_a.post(
        merchant_page(bakery.slug),
        {"version_id": shown.version.pk, "text_sha256": shown.sha256, "signer_name": "Agent", "accept": "on"},
    )
    assert response.status_code == 403
    with town_a:
        assert not AgreementAcceptance.objects.exists()
