"""The partnership agreement (issue 13 item 4): versions, merge fields, online and paper acceptance,
and payouts held until the merchant accepted the current version — under both collectors."""

from __future__ import annotations

import datetime as dt

import pypdfium2
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from settlement.agreements.actions import accept_agreement_online, publish_agreement_version, record_paper_agreement
from settlement.agreements.default_text import DEFAULT_AGREEMENT_TEXT
from settlement.agreements.models import AcceptanceMethod, AgreementAcceptance, AgreementTemplate
from settlement.agreements.queries import agreement_problem, current_version
from settlement.agreements.rendering import fill_in, unknown_fields
from settlement.agreements.scans import MAX_SCAN_BYTES
from settlement.ledger.models import PayoutSchedule, SettlementPolicy
from settlement.payouts.collectors import ConnectCollector, RegieCollector
from settlement.payouts.models import MerchantPayoutAccount, PayoutBlockReason
from settlement.payouts.runs import run_payout
from tests.catalog.factories import MerchantFactory
from tests.settlement.agreement_factories import MINIMAL_PDF, jpeg_bytes, png_bytes, shown_to, upload
from tests.settlement.payout_factories import (
    accept_current_agreement,
    make_available,
    payable_merchant,
    set_treasury,
    town_user,
)

SIRET = "73282932000074"


def merchant_staff(merchant, email="gerant@boulangerie.test"):
    from catalog.models import MerchantMembership

    user = town_user(Role.MERCHANT_STAFF, email=email)
    MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
    return user


def accept(merchant, user, shown, **overrides):
    fields = {
        "merchant": merchant,
        "actor": user,
        "version_id": shown.version.pk,
        "shown_sha256": shown.sha256,
        "signer_name": "Marie Dupont",
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (test)",
        **overrides,
    }
    return accept_agreement_online(**fields)


def test_every_town_starts_with_the_default_text_as_version_1(town_a, town_b):
    for town in (town_a, town_b):
        with town:
            assert list(AgreementTemplate.objects.values_list("number", "text")) == [(1, DEFAULT_AGREEMENT_TEXT)]


def test_merge_fields_are_filled_in_with_the_merchant_and_the_towns_policy_in_french(town_a):
    with town_a:
        SettlementPolicy.objects.update_or_create(
            pk=1,
            defaults={
                "commission_basis_points": 250,
                "payout_schedule": PayoutSchedule.DAILY,
                "hold_days": 3,
                "minimum_payout_cents": 1500,
            },
        )
        merchant = MerchantFactory(
            name="Boulangerie Dupont", siret=SIRET, address_line="12 rue Royale", postcode="62100", city="Calais"
        )

        text = shown_to(merchant).text

    assert "et Boulangerie Dupont, SIRET 73282932000074, établi 12 rue Royale, 62100 Calais," in text
    assert "Entre la commune de Ville A," in text
    assert "une commission de 2,5\u00a0% sur le montant" in text
    assert "reversées par virement chaque jour, sur le compte" in text
    assert "après un délai de 3 jours suivant" in text
    assert "Un montant inférieur à 15,00\u00a0€ est reporté" in text
    assert "{{" not in text


def test_a_towns_text_never_runs_as_a_template():
    text = "{% load static %}{{ commercant.__class__ }} {{ commercant|safe }} {{ commercant }} {{ Commission }}"
    assert unknown_fields(text) == ["commercant.__class__", "commercant|safe", "Commission"]
    assert fill_in(text, {"commercant": "<b>Chez Léa</b>"}) == (
        "{% load static %}{{ commercant.__class__ }} {{ commercant|safe }} <b>Chez Léa</b> {{ Commission }}"
    )


def test_an_admin_publishes_numbered_versions_and_an_agent_may_not(town_a):
    with town_a:
        admin, agent = town_user(Role.TOWN_ADMIN), town_user(Role.TOWN_AGENT)
        with pytest.raises(ValidationError, match="Seul un administrateur"):
            publish_agreement_version(actor=agent, text="Convention de {{ commercant }}.")
        with pytest.raises(ValidationError, match=r"Champs inconnus : \{\{ prix \}\}"):
            publish_agreement_version(actor=admin, text="Convention de {{ commercant }} au {{ prix }}.")
        with pytest.raises(ValidationError, match="rien à publier"):
            publish_agreement_version(actor=admin, text=DEFAULT_AGREEMENT_TEXT)
        assert current_version().number == 1

        second = publish_agreement_version(actor=admin, text="Convention de {{ commercant }}.\r\n")
        third = publish_agreement_version(actor=admin, text="Convention v3 de {{ commercant }}.")

        assert (second.number, second.text, second.published_by_id) == (
            2,
            "Convention de {{ commercant }}.\n",
            admin.pk,
        )
        assert current_version() == third


def test_a_published_version_and_an_acceptance_cannot_be_changed_nor_deleted(town_a):
    with town_a:
        merchant = payable_merchant("Boulangerie")
        version = current_version()
        unaccepted = publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="V2 de {{ commercant }}.")
        acceptance = AgreementAcceptance.objects.get(merchant=merchant)
        for statement in (
            lambda: AgreementTemplate.objects.filter(pk=version.pk).update(text="Autre texte"),
            lambda: AgreementTemplate.objects.filter(pk=unaccepted.pk).delete(),
            lambda: AgreementAcceptance.objects.filter(pk=acceptance.pk).update(signer_name="Quelqu’un d’autre"),
        ):
            with pytest.raises(IntegrityError, match="never changes"), transaction.atomic():
                statement()
        assert AgreementTemplate.objects.get(pk=version.pk).text == DEFAULT_AGREEMENT_TEXT
        assert AgreementAcceptance.objects.get(pk=acceptance.pk).signer_name == "Gérant de Boulangerie"


def test_a_merchant_accepts_online_with_the_evidence_and_a_signed_pdf(town_a):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie Dupont", siret=SIRET)
        user = merchant_staff(merchant)
        shown = shown_to(merchant)

        acceptance = accept(merchant, user, shown, signer_name="  Marie   Dupont ")

        acceptance.refresh_from_db()
        assert (
            acceptance.version.number,
            acceptance.method,
            acceptance.signer_name,
            acceptance.ip_address,
            acceptance.user_agent,
            acceptance.recorded_by_id,
            acceptance.rendered_text,
            acceptance.text_sha256,
        ) == (
            1,
            AcceptanceMethod.ONLINE,
            "Marie Dupont",
            "203.0.113.7",
            "Mozilla/5.0 (test)",
            user.pk,
            shown.text,
            shown.sha256,
        )
        assert acceptance.accepted_at <= timezone.now()
        with acceptance.signed_pdf.open("rb") as document:
            pdf = pypdfium2.PdfDocument(document.read())
        words = "".join(pdf[index].get_textpage().get_text_range() for index in range(len(pdf)))
        assert "Boulangerie Dupont" in words
        assert "Marie Dupont (gerant@boulangerie.test)" in words
        assert "203.0.113.7" in words
        assert shown.sha256 in words.replace("\r", "").replace("\n", "")
        assert acceptance.signed_pdf.name.startswith("agreements/")


def test_a_town_agent_may_not_accept_online_for_a_merchant_nor_the_staff_of_another_merchant(town_a):
    with town_a:
        merchant, other = MerchantFactory(name="Boulangerie"), MerchantFactory(name="Fromagerie")
        shown = shown_to(merchant)
        for user in (town_user(Role.TOWN_AGENT), town_user(Role.TOWN_ADMIN), merchant_staff(other)):
            with pytest.raises(ValidationError, match="Seul le commerçant accepte la convention en ligne"):
                accept(merchant, user, shown)
        assert not AgreementAcceptance.objects.exists()


def test_accepting_a_version_replaced_while_reading_is_refused_and_records_nothing(town_a):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        user = merchant_staff(merchant)
        read = shown_to(merchant)  # the page shows version 1 …
        publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="Nouvelle convention de {{ commercant }}.")

        with pytest.raises(ValidationError) as refused:  # … the merchant accepts after version 2 is out
            accept(merchant, user, read)

        assert refused.value.messages == [
            "Une nouvelle version de la convention (version 2) a été publiée pendant votre lecture : "
            "lisez-la avant de l’accepter."
        ]
        assert not AgreementAcceptance.objects.exists()


def test_accepting_a_text_changed_while_reading_is_refused(town_a):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        user = merchant_staff(merchant)
        read = shown_to(merchant)
        SettlementPolicy.objects.update_or_create(pk=1, defaults={"commission_basis_points": 800})

        with pytest.raises(ValidationError, match="Le texte de la convention a changé pendant votre lecture"):
            accept(merchant, user, read)
        with pytest.raises(ValidationError, match="Le texte de la convention a changé"):
            accept(merchant, user, read, shown_sha256="0" * 64)
        assert not AgreementAcceptance.objects.exists()


def test_accepting_the_same_version_again_keeps_the_first_acceptance(town_a):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        user = merchant_staff(merchant)
        first = accept(merchant, user, shown_to(merchant))
        again = accept(merchant, user, shown_to(merchant), signer_name="Autre Nom")

        assert again.pk == first.pk
        assert list(AgreementAcceptance.objects.values_list("signer_name", flat=True)) == ["Marie Dupont"]


def test_a_new_version_stops_payouts_until_the_merchant_accepts_it(town_a):
    with town_a:
        set_treasury()
        merchant = payable_merchant("Boulangerie")
        user = merchant_staff(merchant)
        make_available(merchant, 2_000)
        account = MerchantPayoutAccount.objects.get(merchant=merchant)
        assert RegieCollector().payout_problem(account) is None

        publish_agreement_version(actor=town_user(Role.TOWN_ADMIN), text="Convention 2 de {{ commercant }}.")

        fresh = MerchantPayoutAccount.objects.get(merchant=merchant)
        assert RegieCollector().payout_problem(fresh) == (
            PayoutBlockReason.NO_AGREEMENT,
            "Une nouvelle version de la convention (version 2) est à accepter.",
        )
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        assert [(b.merchant_id, b.reason, b.detail, b.amount_cents) for b in batch.blocks.all()] == [
            (merchant.pk, "no_agreement", "Une nouvelle version de la convention (version 2) est à accepter.", 2_000)
        ]
        assert batch.line_count == 0

        accept(merchant, user, shown_to(merchant))

        assert RegieCollector().payout_problem(MerchantPayoutAccount.objects.get(merchant=merchant)) is None


def test_a_merchant_who_never_accepted_is_told_which_version_to_accept(town_a):
    with town_a:
        merchant = payable_merchant("Boulangerie", agreement=False)
        account = MerchantPayoutAccount.objects.get(merchant=merchant)
        assert agreement_problem(account) == (
            PayoutBlockReason.NO_AGREEMENT,
            "La convention de partenariat (version 1) n’a pas été acceptée.",
        )


def test_connect_payouts_wait_for_the_agreement_too(town_a):
    with town_a:
        merchant = payable_merchant("Crêperie", agreement=False)
        MerchantPayoutAccount.objects.filter(merchant=merchant).update(stripe_account_id="acct_creperie")
        account = MerchantPayoutAccount.objects.get(merchant=merchant)
        assert ConnectCollector().payout_problem(account) == (
            PayoutBlockReason.NO_AGREEMENT,
            "La convention de partenariat (version 1) n’a pas été acceptée.",
        )
        accept_current_agreement(merchant)
        assert ConnectCollector().payout_problem(MerchantPayoutAccount.objects.get(merchant=merchant)) is None


def test_a_payout_run_checks_the_agreement_in_a_constant_number_of_queries(town_a, django_assert_max_num_queries):
    with town_a:
        set_treasury()
        shops = [payable_merchant(f"Boutique {index}", agreement=index % 2 == 0) for index in range(6)]
        for shop in shops:
            make_available(shop, 1_000)
        agent = town_user()
        with django_assert_max_num_queries(40):
            batch = run_payout(cut_off=timezone.now(), actor=agent).batch
        assert batch.line_count == 3
        assert sorted(batch.blocks.values_list("reason", flat=True)) == ["no_agreement"] * 3


# --- paper ----------------------------------------------------------------------------------------


def record_paper(merchant, actor, scan, **overrides):
    shown = shown_to(merchant)
    fields = {
        "merchant": merchant,
        "actor": actor,
        "version_id": shown.version.pk,
        "shown_sha256": shown.sha256,
        "signer_name": "Jean Martin",
        "signed_on": dt.date(2026, 12, 1),
        "scan": scan,
        **overrides,
    }
    return record_paper_agreement(**fields)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "suffix"),
    [
        ("convention.pdf", MINIMAL_PDF, "application/pdf", ".pdf"),
        ("scan.JPG", jpeg_bytes(), "image/jpeg", ".jpg"),
        ("scan.png", png_bytes(), "image/png", ".png"),
        # A PDF renamed .jpg is what its content says: a PDF.
        ("scan.jpg", MINIMAL_PDF, "application/pdf", ".pdf"),
    ],
)
def test_an_agent_records_a_paper_copy_with_its_scan_told_by_content(town_a, name, content, content_type, suffix):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        agent = town_user(Role.TOWN_AGENT)

        acceptance = record_paper(merchant, agent, upload(name, content, "image/jpeg"))

        acceptance.refresh_from_db()
        assert (acceptance.method, acceptance.signer_name, acceptance.signed_on, acceptance.recorded_by_id) == (
            AcceptanceMethod.PAPER,
            "Jean Martin",
            dt.date(2026, 12, 1),
            agent.pk,
        )
        assert (acceptance.scan_content_type, acceptance.scan.name.endswith(suffix)) == (content_type, True)
        assert acceptance.scan.name.startswith("agreement-scans/")
        assert acceptance.rendered_text == shown_to(merchant).text
        assert acceptance.ip_address is None
        assert not acceptance.signed_pdf
        with acceptance.scan.open("rb") as stored:
            assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("convention.pdf", b"<html><script>alert(1)</script></html>", "ni un PDF, ni une image JPEG ou PNG"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "illisible"),
        ("convention.pdf", b"%PDF-1.4\n" + b"0" * (MAX_SCAN_BYTES), "dépasse 10 Mo"),
    ],
)
def test_a_scan_that_is_not_a_readable_document_of_bounded_size_is_refused(town_a, name, content, message):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        with pytest.raises(ValidationError, match=message):
            record_paper(merchant, town_user(Role.TOWN_AGENT), upload(name, content))
        assert not AgreementAcceptance.objects.exists()


def test_a_forty_megabyte_scan_is_refused_before_being_read(town_a):
    class Huge(upload("scan.pdf", MINIMAL_PDF).__class__):
        def read(self, *args, **kwargs):
            raise AssertionError("read a file known to be too large")

    scan = Huge("scan.pdf", MINIMAL_PDF, content_type="application/pdf")
    scan.size = 40 * 1024 * 1024
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        with pytest.raises(ValidationError, match="dépasse 10 Mo"):
            record_paper(merchant, town_user(Role.TOWN_AGENT), scan)
        assert not AgreementAcceptance.objects.exists()


def test_only_town_staff_record_paper_and_never_twice_for_a_version(town_a):
    with town_a:
        merchant = MerchantFactory(name="Boulangerie")
        with pytest.raises(ValidationError, match="Seuls les agents de la ville"):
            record_paper(merchant, merchant_staff(merchant), upload("scan.png", png_bytes()))
        agent = town_user(Role.TOWN_AGENT)
        first = record_paper(merchant, agent, upload("scan.png", png_bytes()))
        with pytest.raises(ValidationError, match=r"Boulangerie a déjà accepté la version 1 de la convention\."):
            record_paper(merchant, agent, upload("scan.png", png_bytes()))
        with pytest.raises(ValidationError, match="dans le futur"):
            record_paper(merchant, agent, upload("scan.png", png_bytes()), signed_on=dt.date(2099, 1, 1))
        assert list(AgreementAcceptance.objects.values_list("pk", flat=True)) == [first.pk]
