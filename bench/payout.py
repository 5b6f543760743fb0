"""Benchmark: a payout run for a town of 150 merchants and 100,000 paid orders, SEPA file included.

Run:  .venv/bin/python bench/payout.py                     (150 merchants, 100,000 orders; ~1–2 min)
      .venv/bin/python bench/payout.py --orders 10000       (smoke)
      .venv/bin/python bench/payout.py --quick              (the same smoke run)
      .venv/bin/python bench/payout.py --database bench_payout_mine   (another database name)

It works in its own database (``bench_payout`` unless ``--database`` names another, dropped and recreated) on the server given by
DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is unset, and provisions one town
with the real provisioning code. Then:

1. 150 live merchants, each with a valid French IBAN and the convention accepted; the town's
   treasury account set.
2. 100,000 paid card orders (one merchant order each, 1,00 € to 150,00 €) bulk-inserted, then
   posted to the ledger — a capture (clearing → merchant held) and a release (held → available)
   per order:
   * a sample of ``--sample`` orders through the real path (``rules.post_payment_captured`` and
     ``ledger.post_entry`` for the release, one transaction each, database triggers on): this
     gives the **postings per second** figure;
   * the rest with set-based SQL (triggers off for the load only, stored balances recomputed from
     the postings afterwards), since the real path at that rate would make the benchmark long
     without measuring anything new. ``check_invariants()`` at the end proves the load is a sound
     ledger (balanced entries, stored balances = postings, one capture per paid order).
3. Timed: ``run_payout`` (the cut-off snapshot over every posting, lines, blocks, the ledger
   entry) and ``approve_batch`` + ``export_batch`` (pain.001.001.09 built, XSD-validated,
   re-parsed); target < 10 s for the whole.
4. Timed: reading one merchant's balance (``ledger.merchant_balances``), p50/p95 over ``--reads``
   reads of random merchants; target < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time

from benchdb import benchmark_environment, percentile, set_up_platform

BENCH_DB = "bench_payout"
TOWN_SLUG = "reversements"


def configure_environment(database: str) -> None:
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    benchmark_environment(database)


def build_merchants(count: int) -> list[int]:
    from django.utils import timezone
    from schwifty import IBAN

    from catalog.models import Merchant
    from settlement.agreements.models import AcceptanceMethod, AgreementAcceptance
    from settlement.agreements.queries import current_version
    from settlement.agreements.rendering import fill_in, merge_values, text_digest
    from settlement.ledger.rules import get_policy
    from settlement.payouts.models import MerchantPayoutAccount
    from tenants.current import current_town

    merchants = Merchant.objects.bulk_create(
        [Merchant(name=f"Commerce {index:03d}", slug=f"commerce-{index:03d}", status="live") for index in range(count)]
    )
    now = timezone.now()
    MerchantPayoutAccount.objects.bulk_create(
        [
            MerchantPayoutAccount(
                merchant=merchant,
                holder_name=f"Commerce {index:03d} SARL",
                iban=str(IBAN.generate("FR", bank_code="30006", branch_code="00001", account_code=f"{index + 1:011d}")),
                street="rue Royale",
                building_number=str(index + 1),
                postcode="62100",
                town="Calais",
            )
            for index, merchant in enumerate(merchants)
        ]
    )
    # Each merchant accepted the current agreement (the text as their page showed it).
    version = current_version()
    policy, town_name = get_policy(), current_town().name
    acceptances = []
    for merchant in merchants:
        text = fill_in(version.text, merge_values(merchant=merchant, policy=policy, town_name=town_name))
        acceptances.append(
            AgreementAcceptance(
                merchant=merchant,
                version=version,
                method=AcceptanceMethod.ONLINE,
                signer_name=f"Gérant de {merchant.name}",
                accepted_at=now,
                rendered_text=text,
                text_sha256=text_digest(text),
            )
        )
    AgreementAcceptance.objects.bulk_create(acceptances)
    return [merchant.pk for merchant in merchants]


def build_orders(merchant_ids: list[int], count: int) -> None:
    from django.utils import timezone

    from checkout.models import MerchantOrder, Order

    now = timezone.now()
    rng = random.Random(42)  # benchmark data, not secrets
    chunk = 5000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        amounts = [rng.randint(100, 15_000) for _ in range(size)]
        orders = Order.objects.bulk_create(
            [
                Order(
                    status="paid",
                    payment_method="card",
                    first_name="Jeanne",
                    last_name="Martin",
                    email="jeanne@exemple.fr",
                    phone="0612345678",
                    terms_accepted_at=now,
                    items_total_cents=amount,
                    total_cents=amount,
                    paid_at=now,
                )
                for amount in amounts
            ]
        )
        MerchantOrder.objects.bulk_create(
            [
                MerchantOrder(
                    order=order,
                    merchant_id=merchant_ids[(start + index) % len(merchant_ids)],
                    merchant_name="Commerce",
                    status="collected",
                    fulfilment="collect",
                    pickup_code="123456",
                    items_total_cents=amount,
                    paid_at=now,
                    handed_over_at=now,
                )
                for index, (order, amount) in enumerate(zip(orders, amounts, strict=True))
            ]
        )


def post_sample_through_the_real_path(sample: int) -> tuple[int, float]:
    """Captures and releases ``sample`` orders with the production functions; returns (postings, seconds)."""
    from checkout.models import MerchantOrder
    from settlement.ledger.accounts import merchant_available, merchant_held
    from settlement.ledger.actions import post_entry
    from settlement.ledger.models import Posting
    from settlement.ledger.rules import RELEASE, post_payment_captured

    merchant_orders = list(
        MerchantOrder.objects.order_by("pk").values_list("pk", "order_id", "merchant_id", "items_total_cents")[:sample]
    )
    before = Posting.objects.count()
    started = time.perf_counter()
    for merchant_order_id, order_id, merchant_id, amount in merchant_orders:
        post_payment_captured(order_id=order_id)
        post_entry(
            source=RELEASE,
            external_id=str(merchant_order_id),
            description="Libération",
            lines=[(merchant_held(merchant_id), amount), (merchant_available(merchant_id), -amount)],
        )
    elapsed = time.perf_counter() - started
    return Posting.objects.count() - before, elapsed


def bulk_post_the_rest() -> float:
    """The other orders' captures and releases in set-based SQL; returns seconds."""
    from django.db import connection, transaction

    from catalog.models import Merchant
    from settlement.ledger.accounts import PSP_CLEARING, merchant_available, merchant_held
    from settlement.ledger.actions import ensure_accounts

    started = time.perf_counter()
    ensure_accounts(
        [PSP_CLEARING]
        + [
            code
            for pk in Merchant.objects.values_list("pk", flat=True)
            for code in (merchant_held(pk), merchant_available(pk))
        ]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Triggers off for this load only (superuser session setting): the deferred balance check
        # would run once per posting row; the invariant check below re-proves what it guards.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            CREATE TEMP TABLE bench_todo ON COMMIT DROP AS
            SELECT mo.id AS merchant_order_id, mo.order_id, mo.merchant_id, mo.items_total_cents AS amount
            FROM checkout_merchantorder mo
            WHERE NOT EXISTS (SELECT 1 FROM settlement_journalentry e
                              WHERE e.source = 'order_paid' AND e.external_id = mo.order_id::text)
            """
        )
        cursor.execute(
            """
            INSERT INTO settlement_journalentry (source, external_id, description, created_at)
            SELECT 'order_paid', order_id::text, 'Paiement', now() - interval '1 day' FROM bench_todo
            UNION ALL
            SELECT 'release', merchant_order_id::text, 'Libération', now() - interval '1 day' FROM bench_todo
            """
        )
        cursor.execute(
            """
            INSERT INTO settlement_posting (entry_id, account_id, amount_cents)
            SELECT e.id, a.id, t.amount FROM bench_todo t
              JOIN settlement_journalentry e ON e.source = 'order_paid' AND e.external_id = t.order_id::text
              JOIN settlement_account a ON a.code = 'psp_clearing'
            UNION ALL
            SELECT e.id, a.id, -t.amount FROM bench_todo t
              JOIN settlement_journalentry e ON e.source = 'order_paid' AND e.external_id = t.order_id::text
              JOIN settlement_account a ON a.code = 'merchant:' || t.merchant_id || ':held'
            UNION ALL
            SELECT e.id, a.id, t.amount FROM bench_todo t
              JOIN settlement_journalentry e ON e.source = 'release' AND e.external_id = t.merchant_order_id::text
              JOIN settlement_account a ON a.code = 'merchant:' || t.merchant_id || ':held'
            UNION ALL
            SELECT e.id, a.id, -t.amount FROM bench_todo t
              JOIN settlement_journalentry e ON e.source = 'release' AND e.external_id = t.merchant_order_id::text
              JOIN settlement_account a ON a.code = 'merchant:' || t.merchant_id || ':available'
            """
        )
        cursor.execute(
            """
            UPDATE settlement_account a SET balance_cents = s.total
            FROM (SELECT account_id, SUM(amount_cents) AS total FROM settlement_posting GROUP BY account_id) s
            WHERE s.account_id = a.id
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE settlement_posting; ANALYZE settlement_journalentry; ANALYZE settlement_account")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--merchants", type=int, default=150)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="orders posted through the real post_entry path")
    parser.add_argument("--reads", type=int, default=2000, help="balance reads timed")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10,000 orders")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    options = parser.parse_args()
    if options.quick:
        options.orders = 10_000

    configure_environment(options.database)
    set_up_platform()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, User
    from settlement.ledger.invariants import check_invariants
    from settlement.ledger.queries import merchant_balances
    from settlement.payouts.runs import approve_batch, export_batch, run_payout
    from settlement.payouts.treasury import update_payout_settings
    from tenants.actions import provision_town

    town = provision_town(slug=TOWN_SLUG, name="Bench Reversements").town
    print(
        f"database {options.database}, town {town.slug}: {options.merchants} merchants, {options.orders:,} paid orders"
    )

    with town:
        admin = User.objects.create_user(email="regisseur@bench.test", password="x" * 20, role=Role.TOWN_ADMIN)
        agent = User.objects.create_user(email="agent@bench.test", password="x" * 20, role=Role.TOWN_AGENT)
        update_payout_settings(
            actor=admin,
            treasury_holder_name="Regie marketplace Bench",
            treasury_iban="FR7630001007941234567890185",
            treasury_street="place de l'Hotel de Ville",
            treasury_building_number="1",
            treasury_postcode="62100",
            treasury_town="Calais",
        )
        started = time.perf_counter()
        merchant_ids = build_merchants(options.merchants)
        build_orders(merchant_ids, options.orders)
        print(f"  orders bulk-inserted in {time.perf_counter() - started:.1f} s")

        postings, seconds = post_sample_through_the_real_path(min(options.sample, options.orders))
        print(
            f"  real path (post_payment_captured + post_entry release, one transaction each): "
            f"{postings:,} postings in {seconds:.2f} s = {postings / seconds:,.0f} postings/s "
            f"({postings / 2 / seconds:,.0f} entries/s)"
        )
        bulk_seconds = bulk_post_the_rest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM settlement_posting")
            (total_postings,) = cursor.fetchone()
        print(f"  rest posted in set-based SQL in {bulk_seconds:.1f} s; ledger holds {total_postings:,} postings")

        cut_off = timezone.now()
        started = time.perf_counter()
        run = run_payout(cut_off=cut_off, actor=agent)
        run_seconds = time.perf_counter() - started
        started = time.perf_counter()
        approve_batch(batch=run.batch, actor=admin)
        batch = export_batch(batch=run.batch, actor=admin)
        export_seconds = time.perf_counter() - started
        total = run_seconds + export_seconds
        print(
            f"payout run: {batch.line_count} lines, {batch.total_cents / 100:,.2f} EUR; run {run_seconds:.2f} s "
            f"+ approve/export (SEPA, XSD, re-parse; {len(bytes(batch.file_xml)):,} bytes) {export_seconds:.2f} s "
            f"= {total:.2f} s  [{'PASS' if total < 10 else 'FAIL'} < 10 s]"
        )

        rng = random.Random(7)  # which merchant to read, not a secret
        timings = []
        for _ in range(options.reads):
            merchant_id = rng.choice(merchant_ids)
            started = time.perf_counter()
            merchant_balances(merchant_id)
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        print(
            f"balance read (merchant_balances): p50 {p50:.2f} ms, p95 {p95:.2f} ms over {options.reads} reads "
            f"[{'PASS' if p95 < 5 else 'FAIL'} < 5 ms]"
        )
        print(f"postings per second (real post_entry path): {postings / seconds:,.0f}")
        problems = check_invariants()
        print(f"ledger invariants: {'PASS' if not problems else 'FAIL'}")
        for problem in problems[:10]:
            print(f"  {problem}")
    return 0 if not problems and total < 10 and p95 < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
