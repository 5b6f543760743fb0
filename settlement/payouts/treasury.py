"""The town's payout settings: its treasury account (the debtor of every SEPA file), schedule,
cut-off hour, minimum and SEPA format."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from settlement.ledger.models import SettlementPolicy
from settlement.ledger.rules import get_policy
from settlement.payouts.guards import PayoutError
from settlement.payouts.iban import validate_bic, validate_iban


def update_payout_settings(*, actor: User, **fields: object) -> SettlementPolicy:
    """Town admins set the treasury account (debtor), schedule, cut-off hour, minimum and SEPA format."""
    if actor.role != Role.TOWN_ADMIN:
        raise PayoutError(_("Seul un administrateur de la ville peut modifier les paramètres de reversement."))
    allowed = {
        "payout_schedule",
        "payout_cut_off_hour",
        "minimum_payout_cents",
        "sepa_version",
        "treasury_holder_name",
        "treasury_iban",
        "treasury_bic",
        "treasury_street",
        "treasury_building_number",
        "treasury_postcode",
        "treasury_town",
        "treasury_country",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown payout settings: {sorted(unknown)}")
    if fields.get("treasury_iban"):
        fields["treasury_iban"] = validate_iban(str(fields["treasury_iban"]))
    if fields.get("treasury_bic"):
        fields["treasury_bic"] = validate_bic(str(fields["treasury_bic"]))
    with transaction.atomic():
        policy = get_policy()
        policy = SettlementPolicy.objects.select_for_update().get(pk=policy.pk)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save()
    return policy


def treasury_problems(policy: SettlementPolicy) -> list[str]:
    """What is missing before a SEPA file can be drawn on the town's treasury account."""
    problems = []
    if not policy.treasury_holder_name.strip():
        problems.append(_("Le titulaire du compte de la régie n’est pas renseigné."))
    if not policy.treasury_iban:
        problems.append(_("L’IBAN du compte de la régie n’est pas renseigné."))
    if not policy.treasury_town.strip() or not policy.treasury_postcode.strip():
        problems.append(_("L’adresse du compte de la régie est incomplète."))
    return problems
