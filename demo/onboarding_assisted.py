"""Demo seeding for assisted mode: one past session of the town's agent for a live shop, with its log.

``seed_demo_assisted_history(town=...)`` (inside the town, after ``seed_demo_people``) makes, once, an ended
session of the demo agent ("agent@<town>…") acting for the first live shop that sells online, three
days ago, with two recorded changes (a product's price, the shop's phone): the shop's « Mode assisté » tab
then has something to show. It changes no product or shop: the log describes changes, it does not make them.
Returns the line to print (or "" when there was nothing to do).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Merchant, MerchantStatus, Product
from demo.people import demo_address
from onboarding.assisted.models import AssistedChange, AssistedSession, ChangeKind, EndReason
from tenants.models import Town


def seed_demo_assisted_history(*, town: Town) -> str:
    agent = User.objects.filter(email=demo_address(town, "agent")).first()
    merchant = Merchant.objects.filter(status=MerchantStatus.LIVE, sells_online=True).order_by("name", "pk").first()
    if agent is None or merchant is None or AssistedSession.objects.exists():
        return ""
    product = Product.objects.filter(merchant=merchant).order_by("pk").first()
    started = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=3)
    with transaction.atomic():
        session = AssistedSession.objects.create(
            merchant=merchant,
            agent_id=agent.pk,
            agent_label=agent.email,
            agent_role=agent.role,
            reason="Mise à jour par téléphone",
            started_at=started,
            last_seen_at=started + dt.timedelta(minutes=9),
            ended_at=started + dt.timedelta(minutes=10),
            ended_by_id=agent.pk,
            end_reason=EndReason.BY_AGENT,
        )
        common = {"session": session, "merchant": merchant, "agent_id": agent.pk, "kind": ChangeKind.UPDATE}
        if product is not None:
            AssistedChange.objects.create(
                **common,
                at=started + dt.timedelta(minutes=4),
                model_label="catalog.product",
                object_id=str(product.pk),
                object_label=product.title[:200],
                changes={"price_cents": [str(product.price_cents + 20), str(product.price_cents)]},
                path=f"/gestion/catalogue/produits/{product.pk}/",
            )
        AssistedChange.objects.create(
            **common,
            at=started + dt.timedelta(minutes=7),
            model_label="catalog.merchant",
            object_id=str(merchant.pk),
            object_label=merchant.name[:200],
            changes={"phone": ["", merchant.phone]} if merchant.phone else {"click_and_collect": ["non", "oui"]},
            path=f"/gestion/catalogue/commercants/{merchant.slug}/",
        )
    return f"  mode assisté : une session passée de l’agent pour « {merchant.name} » (onglet « Mode assisté »)"
