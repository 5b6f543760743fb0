"""Settlement fixtures shared by several modules: town A's exported and draft payout batches, camt.053
statements written entry by entry, and the URLs of the payout and finance pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from settlement.payouts.runs import approve_batch, export_batch, run_payout
from tests.settlement.payout_factories import make_available, payable_merchant, set_treasury, town_user


def payouts_url(name: str, **kwargs: object) -> str:
    return reverse(f"payouts:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


def finance_url(name: str, **kwargs: object) -> str:
    return reverse(f"finance:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


def camt053_xml(statement_id: str, entries_xml: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-20T06:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>{entries_xml}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def ntry(
    ref: str,
    end_to_end_id: str | None,
    amount: str,
    direction: str,
    *,
    reversal: bool = False,
    sub_family: str = "ESCT",
    inner: str = "",
) -> str:
    refs = f"<Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs>" if end_to_end_id else ""
    reversal_xml = "<RvslInd>true</RvslInd>" if reversal else ""
    return (
        f"<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy='EUR'>{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>"
        f"{reversal_xml}<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls>{refs}<Amt Ccy='EUR'>{amount}</Amt>{inner}</TxDtls></NtryDtls></Ntry>"
    )


@pytest.fixture
def exported_batch(town_a):
    """An exported SEPA batch of town A: a bakery (19,99 €) and a cheese shop (72,00 €)."""
    with town_a:
        set_treasury()
        shops = [payable_merchant("Boulangerie"), payable_merchant("Fromagerie")]
        make_available(shops[0], 1999)
        make_available(shops[1], 7200)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        approve_batch(batch=batch, actor=town_user(Role.TOWN_ADMIN))
        return export_batch(batch=batch, actor=town_user())


@pytest.fixture
def draft_batch(town_a):
    """A draft batch of town A prepared by an agent (returned with that agent)."""
    with town_a:
        set_treasury()
        shop = payable_merchant("Boulangerie")
        make_available(shop, 1999)
        preparer = town_user(Role.TOWN_AGENT, email="preparateur@ville-a.test")
        return run_payout(cut_off=timezone.now(), actor=preparer).batch, preparer
