"""The pipeline's moves: recorded with who and when, reasons off the path, moving on never goes back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client

from accounts.models import Role, User
from catalog.models import MerchantStatus
from onboarding.models import Prospect, ProspectMove, Step
from onboarding.pipeline import advance_prospect, enrol_merchants, move_prospect
from tenants.models import Town
from tests.catalog.factories import MerchantFactory
from tests.onboarding.factories import make_agent, make_prospect


def test_enrolling_gives_each_merchant_one_prospect_and_live_ones_start_live(town_a: Town) -> None:
    with town_a:
        draft = MerchantFactory(status=MerchantStatus.DRAFT)
        live = MerchantFactory(status=MerchantStatus.LIVE)
        assert enrol_merchants(merchant_ids=[draft.pk, live.pk]) == 2
        assert enrol_merchants(merchant_ids=[draft.pk, live.pk]) == 0
        assert dict(Prospect.objects.values_list("merchant_id", "step")) == {
            draft.pk: Step.TO_CONTACT,
            live.pk: Step.LIVE,
        }
        assert ProspectMove.objects.count() == 2


def test_a_move_records_who_from_where_and_when(town_a: Town) -> None:
    with town_a:
        agent = make_agent()
        prospect = make_prospect()
        moved = move_prospect(prospect=prospect, to_step=Step.CONTACTED, actor=agent)
        assert moved.step == Step.CONTACTED
        last = ProspectMove.objects.filter(prospect=prospect).last()
        assert (last.from_step, last.to_step, last.moved_by_id) == (Step.TO_CONTACT, Step.CONTACTED, agent.pk)
        assert last.moved_at == moved.step_changed_at


def test_declining_without_a_reason_is_refused_and_changes_nothing(town_a: Town) -> None:
    with town_a:
        prospect = make_prospect()
        with pytest.raises(ValidationError):
            move_prospect(prospect=prospect, to_step=Step.DECLINED, actor=None, reason="  ")
        prospect.refresh_from_db()
        assert prospect.step == Step.TO_CONTACT
        assert ProspectMove.objects.filter(prospect=prospect).count() == 1


def test_the_database_refuses_a_paused_prospect_without_a_reason(town_a: Town) -> None:
    with town_a:
        prospect = make_prospect()
        with pytest.raises(IntegrityError):
            Prospect.objects.filter(pk=prospect.pk).update(step=Step.PAUSED, reason="")


def test_moving_on_goes_forward_only_and_leaves_paused_prospects_alone(town_a: Town) -> None:
    with town_a:
        prospect = make_prospect()
        assert advance_prospect(merchant_id=prospect.merchant_id, to_step=Step.AGREEMENT) is True
        assert advance_prospect(merchant_id=prospect.merchant_id, to_step=Step.CONTACTED) is False
        prospect.refresh_from_db()
        assert prospect.step == Step.AGREEMENT
        move_prospect(prospect=prospect, to_step=Step.PAUSED, actor=None, reason="Travaux jusqu’en mars")
        assert advance_prospect(merchant_id=prospect.merchant_id, to_step=Step.LIVE) is False


def test_moving_on_enrols_a_merchant_that_had_no_prospect(town_a: Town) -> None:
    with town_a:
        merchant = MerchantFactory(status=MerchantStatus.DRAFT)
        assert advance_prospect(merchant_id=merchant.pk, to_step=Step.INFO_SESSION) is True
        assert Prospect.objects.get(merchant=merchant).step == Step.INFO_SESSION


def test_onboarding_pages_refuse_residents_and_open_for_agents(town_a: Town, client_a: Client) -> None:
    with town_a:
        resident = User.objects.create_user("habitant@ville-a.test", "pw-habitant-2026", role=Role.RESIDENT)
        agent = make_agent()
        client_a.force_login(resident)
    assert client_a.get("/gestion/accompagnement/").status_code == 403
    with town_a:
        client_a.force_login(agent)
    assert client_a.get("/gestion/accompagnement/").status_code == 200
