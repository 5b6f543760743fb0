"""Concurrency of the agreement (committed transactions, threads released together): a double
acceptance records one, two publications get two numbers."""

from __future__ import annotations

from accounts.models import Role
from catalog.models import MerchantMembership
from settlement.agreements.actions import accept_agreement_online, publish_agreement_version
from settlement.agreements.models import AgreementAcceptance, AgreementTemplate
from settlement.agreements.signals import agreement_accepted
from tests.catalog.factories import MerchantFactory
from tests.conftest import run_concurrently
from tests.settlement.agreement_factories import shown_to
from tests.settlement.payout_factories import town_user


def test_an_agreement_accepted_twice_at_once_is_recorded_and_announced_once(committed_town):
    with committed_town:
        merchant = MerchantFactory(name="Boulangerie")
        user = town_user(Role.MERCHANT_STAFF, email="gerant@concurrence.test")
        MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
        shown = shown_to(merchant)
    announced = []

    def heard(*, merchant_id, version, **kwargs):
        announced.append((merchant_id, version))

    def work(index):
        with committed_town:
            return accept_agreement_online(
                merchant=merchant,
                actor=user,
                version_id=shown.version.pk,
                shown_sha256=shown.sha256,
                signer_name=f"Signataire {index}",
                ip_address="198.51.100.1",
            ).pk

    agreement_accepted.connect(heard, dispatch_uid="test-concurrency")
    try:
        results = run_concurrently(2, work)
    finally:
        agreement_accepted.disconnect(dispatch_uid="test-concurrency")

    assert all(isinstance(result, int) for result in results), results
    assert results[0] == results[1]
    with committed_town:
        assert AgreementAcceptance.objects.filter(merchant=merchant).count() == 1
    assert announced == [(merchant.pk, 1)]


def test_two_versions_published_at_once_get_two_numbers(committed_town):
    with committed_town:
        admin = town_user(Role.TOWN_ADMIN, email="admin@concurrence.test")

    def work(index):
        with committed_town:
            return publish_agreement_version(actor=admin, text=f"Version rédigée par l’élu {index}.").number

    results = run_concurrently(2, work)

    assert sorted(results) == [2, 3], results
    with committed_town:
        assert list(AgreementTemplate.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
