"""The pipeline hears settlement's agreement events: an agreement accepted moves the merchant's
prospect on to « Convention signée », bank details saved to « Coordonnées bancaires » (never back:
``advance_prospect``). Connected from ``OnboardingConfig.ready()``."""

from __future__ import annotations

import logging
from typing import Any

from onboarding.models import Step
from onboarding.pipeline import advance_prospect
from settlement.agreements.signals import agreement_accepted, bank_details_saved

logger = logging.getLogger(__name__)


def on_agreement_accepted(*, merchant_id: int, **kwargs: Any) -> None:
    _advance(merchant_id, Step.AGREEMENT)


def on_bank_details_saved(*, merchant_id: int, **kwargs: Any) -> None:
    _advance(merchant_id, Step.BANK_DETAILS)


def _advance(merchant_id: int, step: Step) -> None:
    # After the settlement action committed: a failure here must not look like the action failed.
    try:
        advance_prospect(merchant_id=merchant_id, to_step=step)
    except Exception:
        logger.exception("could not move merchant %s on to %s", merchant_id, step)


def connect() -> None:
    agreement_accepted.connect(on_agreement_accepted, dispatch_uid="onboarding.agreement_accepted")
    bank_details_saved.connect(on_bank_details_saved, dispatch_uid="onboarding.bank_details_saved")
