"""Demo agreements: version 2 published once, signed on paper by every merchant with bank details."""

from __future__ import annotations

from accounts.models import Role, User
from demo.onboarding_agreements import TOWN_ARTICLE, DemoAgreements, seed_demo_agreements
from settlement.agreements.models import AgreementAcceptance, AgreementTemplate
from tests.catalog.factories import MerchantFactory
from tests.settlement.payout_factories import payable_merchant


def test_demo_agreements_publish_version_2_and_sign_it_for_the_merchants_with_bank_details(town_a):
    with town_a:
        admin = User.objects.create_user(
            email="admin-demo@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_ADMIN
        )
        with_details = payable_merchant("Boulangerie")  # accepted version 1
        MerchantFactory(name="Sans coordonnées bancaires")

        result = seed_demo_agreements(admin=admin)
        again = seed_demo_agreements(admin=admin)

        assert (result, again) == (DemoAgreements(version=2, signed=1), DemoAgreements(version=2, signed=0))
        assert AgreementTemplate.objects.get(number=2).text.endswith(TOWN_ARTICLE)
        assert list(
            AgreementAcceptance.objects.order_by("version__number").values_list(
                "merchant_id", "version__number", "method"
            )
        ) == [(with_details.pk, 1, "online"), (with_details.pk, 2, "paper")]
