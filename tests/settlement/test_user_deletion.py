"""Town tables that name a user never get in the way of deleting a user elsewhere (public schema)."""

from __future__ import annotations

from accounts.models import Role, User


def test_deleting_an_operator_account_in_public_works(db):
    operator = User.objects.create_user(email="ancien@operateur.test", password="mot-de-passe-42", role=Role.OPERATOR)

    operator.delete()  # the payout tables exist only in town schemas: nothing may look them up here

    assert not User.objects.filter(email="ancien@operateur.test").exists()


def test_deleting_a_town_agent_keeps_the_batches_they_signed(town_a):
    from settlement.payouts.models import PayoutBatch

    with town_a:
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        fields = {f.name for f in PayoutBatch._meta.get_fields()}
        assert "created_by" in fields
        agent.delete()
        assert not User.objects.filter(pk=agent.pk).exists()
