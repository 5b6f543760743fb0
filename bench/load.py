"""Benchmark: mixed traffic over many towns for minutes, clean and then with faults, then the invariants.

Run:  .venv/bin/python bench/load.py            (100 towns, 30 users, 2 × 5 min; ~20 min with set-up)
      .venv/bin/python bench/load.py --quick    (smoke: 10 towns, 2 × 30 s; ~3 min)

Needs: ``redis-server`` on PATH (refused clearly otherwise) and the PostgreSQL binaries bundled with
the ``pgserver`` package (a project dependency). The benchmark never touches the machine's PostgreSQL
or Redis: it initdb's its own cluster into a temporary folder and runs its own ``redis-server``, both
on free loopback ports (bench/stack.py), because it stops PostgreSQL and kills a Celery worker on
purpose. Against them it starts gunicorn with the production configuration (infra/gunicorn.conf.py,
DEBUG off; 2 workers × 8 threads), one Celery worker (prefork, concurrency 2) and beat. Every process
it started is stopped at the end, on failure and on Ctrl-C; logs are kept (their folder is printed).

Set-up: ``--towns`` towns provisioned through the real code (template clone), each collecting through
Stripe on its own connected account (the in-process Stripe fake, tests/checkout/stripe_fake.py, as in
bench/checkout.py), each with a demo catalogue (demo.catalog) of 5 merchants × ~40 products, all
merchants live and open for click and collect, stock tracked, and a few *scarce* products (3 units)
per town and phase so that checkouts race for them. Towns are not equally popular: town n gets a
share ∝ 1/n of the traffic (the first of 100 towns ≈ 19 %), as big towns do.

Traffic: ``--users`` simulated residents, each picking a town, then an action, then thinking
(uniform 0–2 × ``--think`` seconds): browse 80 % (home, directory, merchant, category, product pages),
search 15 %, checkout 5 % (product page → add 1–2 products to the basket → GET and POST /commande/ →
payment page (PaymentIntent) → the card is accepted at the fake → Stripe's signed webhook → return →
confirmation). A webhook that fails is redelivered with backoff (1, 2, 4 … 64 s), as Stripe does.

Phases: 1. clean, ``--seconds``; 2. the same with faults: PostgreSQL stopped (fast shutdown) at
``--db-restart-at`` for ``--db-down`` seconds then started again, the Celery worker SIGKILLed (its
whole process group) at ``--worker-kill-at`` and a new one started.

Printed per phase: requests/s, p50/p95/p99 per page type, errors by status and by 5-second window,
the Celery queue backlog; for the fault phase, where the errors fall relative to the outage and the
recovery time after PostgreSQL is up. Then, after the queue has drained and the ledger catch-up has
run (the 15-minute beat task ``settlement.release_due_merchant_orders``, sent at once to every town),
the invariants, each PASS or FAIL (exit status 1 on any FAIL):
  * no HTTP error (5xx, connection, unexpected answer) in the clean phase; in the fault phase, none
    outside [PostgreSQL stopped, PostgreSQL up + 10 s] (test plan T-REL-05: recovery < 10 s);
  * ``check_ledger`` passes for every town; every paid order has its capture entry;
  * stock never negative (SQL over every schema), and per variant initial stock = stock left + units
    held by orders not cancelled (no oversell);
  * every order total = items + delivery fee, items = Σ lines = Σ merchant orders, payment = total;
  * every payment the fake confirmed is a paid order, with one change to "paid".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchdb import ms, percentile, production_environment, set_up_platform, wait_until_up
from load_checks import catch_up_ledger, check_invariants, paid_orders_without_capture, wait_for_queue
from load_traffic import (
    PLATFORM_DOMAIN,
    Context,
    Event,
    PhaseStats,
    QueueMonitor,
    Resident,
    WebhookRetrier,
)
from shop import IndexedStripeFake, Item, TownCatalogue, provision_stripe_town, stripe_environment
from stack import Stack

BENCH_DB = "comptoir_load"
PLENTY = 100_000  # stock of ordinary products: never runs out
KINDS = (
    "home", "directory", "merchant", "category", "product", "search", "basket_add", "checkout_form", "checkout",
    "payment", "webhook", "webhook_retry", "return", "confirmation",
)  # fmt: skip
RECOVERY_LIMIT = 10.0  # seconds after PostgreSQL is up (test plan T-REL-05)
WINDOW = 5.0  # seconds per line of the error timeline


# --- set-up -----------------------------------------------------------------------------------------
def configure_environment(*, database_url: str, redis_url: str, fake_url: str) -> None:
    """Production mode over plain HTTP on the bench's own PostgreSQL and Redis, Stripe at the fake."""
    os.environ["DATABASE_URL"] = f"{database_url}/postgres"
    os.environ["REDIS_URL"] = redis_url
    # Behind one reverse proxy, as deployed: a buyer's address is the X-Forwarded-For it sends.
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    stripe_environment(fake_url)
    os.environ["GUNICORN_LOGLEVEL"] = "warning"
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "COMPTOIR_EMBEDDED_DB"):
        os.environ.pop(name, None)
    production_environment(platform_domain=PLATFORM_DOMAIN, database=BENCH_DB)


def build_town(job: tuple[int, int, int, int, int]) -> TownCatalogue:
    """Provision town ``number`` (Stripe, régie), fill a demo catalogue and make it sellable."""
    import datetime as dt

    from django.db import connections, transaction

    from catalog.models import Category, Closure, Merchant, MerchantStatus, OpeningPeriod, Product, Variant
    from demo.catalog import generate_catalogue

    number, products, scarce_per_phase, scarce_stock, seed = job
    slug, account = f"ville-{number:03d}", f"acct_load{number:09d}"
    town = provision_stripe_town(slug=slug, name=f"Ville {number}", account=account)
    rng = random.Random(seed)
    with town, transaction.atomic():
        generate_catalogue(
            merchants=5,
            products=products,
            supermarket_products=0,
            profile=("calais", "luzy")[number % 2],
            seed=seed,
        )
        # Every merchant live, selling online for click and collect, open all day every day: a pickup
        # window always exists, whatever the hour of the run.
        Merchant.objects.update(status=MerchantStatus.LIVE, sells_online=True, click_and_collect=True)
        OpeningPeriod.objects.all().delete()
        Closure.objects.all().delete()
        OpeningPeriod.objects.bulk_create(
            OpeningPeriod(merchant_id=pk, weekday=day, opens_at=dt.time(0, 0), closes_at=dt.time(23, 59))
            for pk in Merchant.objects.values_list("pk", flat=True)
            for day in range(7)
        )
        Variant.objects.update(stock=PLENTY)
        rows = list(
            Variant.objects.filter(product__is_published=True).values_list(
                "pk", "merchant_id", "merchant__slug", "product__slug"
            )
        )
        rng.shuffle(rows)
        items = [
            Item(pk, merchant, f"/commerces/{merchant_slug}/{product}/")
            for pk, merchant, merchant_slug, product in rows
        ]
        scarce = [items[phase * scarce_per_phase : (phase + 1) * scarce_per_phase] for phase in range(2)]
        scarce_ids = [item.variant_id for phase in scarce for item in phase]
        Variant.objects.filter(pk__in=scarce_ids).update(stock=scarce_stock)
        initial_stock = dict.fromkeys(Variant.objects.values_list("pk", flat=True), PLENTY)
        initial_stock.update(dict.fromkeys(scarce_ids, scarce_stock))
        used = set(Product.objects.filter(is_published=True).values_list("category_id", flat=True))
        categories = [
            f"/categories/{category}/"
            for pk, parent, category in Category.objects.values_list("pk", "parent_id", "slug")
            if pk in used or parent is None
        ]
        merchants = [f"/commerces/{merchant}/" for merchant in Merchant.objects.values_list("slug", flat=True)]
    connections.close_all()
    return TownCatalogue(
        slug=slug,
        host=f"{slug}.{PLATFORM_DOMAIN}",
        account=account,
        items=items[2 * scarce_per_phase :],
        scarce=scarce,
        initial_stock=initial_stock,
        pages={"merchant": merchants, "category": categories, "product": [item.path for item in items]},
    )


def build_towns(args: argparse.Namespace) -> list[TownCatalogue]:
    """Towns built by two processes (the machine's cores), in town order."""
    from django.db import connections

    jobs = [
        (number, args.products, args.scarce, args.scarce_stock, args.seed + number)
        for number in range(1, args.towns + 1)
    ]
    # The first clone creates django-tenants' clone function: two first clones at once collide.
    towns = [build_town(jobs[0])]
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for town in pool.imap(build_town, jobs[1:]):
            towns.append(town)
            if len(towns) % 10 == 0 or len(towns) == len(jobs):
                print(f"  {len(towns)} / {len(jobs)} towns ready", flush=True)
    return towns


# --- the phases -------------------------------------------------------------------------------------
def cpu_snapshot(gunicorn_pid: int) -> tuple[float, float, float, float]:
    """(machine busy jiffies, machine total jiffies, gunicorn CPU s, this process's CPU s)."""
    import psutil

    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    master = psutil.Process(gunicorn_pid)
    times = master.cpu_times()
    gunicorn = times.user + times.system + times.children_user + times.children_system  # reaped workers too
    for worker in master.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            gunicorn += sum(worker.cpu_times()[:2])
    own = os.times()
    return sum(fields) - idle, sum(fields), gunicorn, own.user + own.system


def run_phase(
    phase: int,
    name: str,
    *,
    args: argparse.Namespace,
    towns: list[TownCatalogue],
    port: int,
    fake: IndexedStripeFake,
    stack: Stack,
    redis_url: str,
    faults: bool,
    seconds: float,
) -> PhaseStats:
    """The residents for ``seconds``; with ``faults``, the main thread restarts PostgreSQL and kills the worker.

    Faults run in the main thread on purpose: a child's parent-death signal fires when the *thread*
    that started it ends, so the restarted PostgreSQL and the new worker must be started from here.
    """
    stats = PhaseStats(name)
    weights = [1 / rank for rank in range(1, len(towns) + 1)]
    cumulative = [sum(weights[: index + 1]) for index in range(len(weights))]
    origin = time.perf_counter()
    stats.wall_origin = time.time()
    retrier = WebhookRetrier(port, stats, origin)
    context = Context(args, towns, cumulative, port, fake, stats, origin, phase, retrier)
    residents = [Resident(number, context) for number in range(args.users)]
    monitor = QueueMonitor(redis_url, stats, origin)
    stop_at = origin + seconds
    stats.load = (os.getloadavg()[0], 0.0)
    cpu_before = cpu_snapshot(stack.children["gunicorn"].process.pid)
    threads = [
        threading.Thread(target=resident.run, args=(stop_at,), name=f"resident-{resident.number}", daemon=True)
        for resident in residents
    ]
    for thread in threads:
        thread.start()
    if faults:
        run_faults(args, stack, stats, origin)
    for thread in threads:
        thread.join()
    stats.elapsed = time.perf_counter() - origin
    cpu_after = cpu_snapshot(stack.children["gunicorn"].process.pid)
    stats.machine_busy = (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    stats.gunicorn_cpu, stats.bench_cpu = cpu_after[2] - cpu_before[2], cpu_after[3] - cpu_before[3]
    stats.retries_left = retrier.drain(timeout=150)
    monitor.stop()
    stats.load = (stats.load[0], os.getloadavg()[0])
    for resident in residents:
        stats.requests.extend(resident.session.records)
    stats.requests.extend(retrier.records)
    return stats


def run_faults(args: argparse.Namespace, stack: Stack, stats: PhaseStats, origin: float) -> None:
    def at(seconds: float) -> None:
        time.sleep(max(0.0, origin + seconds - time.perf_counter()))

    def note(key: str, text: str) -> None:
        stats.events.append(Event(time.perf_counter() - origin, key, text))
        print(f"  t={stats.events[-1].at:6.1f} s  {text}", flush=True)

    schedule = sorted([(args.db_restart_at, "db"), (args.worker_kill_at, "worker")])
    for when, fault in schedule:
        at(when)
        if fault == "db":
            stack.checkpoint()
            note("db_checkpoint", "PostgreSQL: CHECKPOINT done (as before a planned restart)")
            note("db_stopping", "PostgreSQL: fast shutdown requested")
            stack.stop_postgres()
            note("db_stopped", "PostgreSQL: stopped")
            time.sleep(args.db_down)
            note("db_starting", "PostgreSQL: starting")
            stack.start_postgres()
            note("db_up", "PostgreSQL: up, accepting connections")
            stats.beat_sends_at_db_up = beat_sends(stack)
        else:
            import redis

            # Killed while it holds tasks (reserved or running), if any come within 15 s: the case that matters.
            client = redis.Redis.from_url(os.environ["REDIS_URL"])
            deadline = time.perf_counter() + 15
            while not client.hlen("unacked") and time.perf_counter() < deadline:
                time.sleep(0.02)
            stack.kill("worker-1")
            held = Counter(json.loads(value)[0]["headers"]["task"] for value in client.hvals("unacked"))
            stats.orphaned = sum(held.values())
            note(
                "worker_killed",
                f"Celery worker: SIGKILLed holding {stats.orphaned} unacknowledged tasks"
                + (" (" + ", ".join(f"{task} × {count}" for task, count in held.items()) + ")" if held else ""),
            )
            stack.start_worker("worker-2", concurrency=args.concurrency)
            ready = stack.wait_for_log("worker-2", " ready.", timeout=120)
            note("worker_ready", f"Celery worker: a new worker is ready ({ready:.1f} s after its start)")


def beat_sends(stack: Stack) -> int:
    """How many periodic sends beat has logged so far (one line per task and tick, for every town)."""
    return (stack.logs / "beat.log").read_text(errors="replace").count("Sending due task")


def beat_verdict(stack: Stack, stats: PhaseStats) -> tuple[str, bool, str]:
    """Beat must outlive the restart and keep sending the town tasks (expiry, notifications, ledger catch-up)."""
    name = "fault phase: beat still sends the periodic town tasks after the restart"
    beat = stack.children.get("beat")
    if beat is None or beat.process.poll() is not None:
        code = beat.process.returncode if beat else "?"
        tail = (stack.logs / "beat.log").read_text(errors="replace").strip().splitlines()[-6:]
        return name, False, f"beat exited (status {code}); last lines: " + " | ".join(tail)
    up_at = next((event.at for event in stats.events if event.key == "db_up"), stats.elapsed)
    sent = beat_sends(stack) - stats.beat_sends_at_db_up
    if sent:
        return name, True, f"{sent} sends logged after PostgreSQL was up"
    if stats.elapsed - up_at < 65:
        return (
            name,
            True,
            f"not observable: only {stats.elapsed - up_at:.0f} s after the restart (beat ticks each 60 s)",
        )
    return name, False, f"no send logged in the {stats.elapsed - up_at:.0f} s after PostgreSQL was up"


# --- figures ----------------------------------------------------------------------------------------
def print_phase(stats: PhaseStats, args: argparse.Namespace, stack: Stack) -> None:
    requests = stats.requests
    print(
        f"\n== phase {stats.name}: {args.users} users, {len(requests)} requests in {stats.elapsed:.1f} s = "
        f"{len(requests) / stats.elapsed:.1f} requests/s; load average {stats.load[0]:.2f} → {stats.load[1]:.2f}"
    )
    print(
        f"   CPU: machine {stats.machine_busy:.0%} busy (all its users); gunicorn {stats.gunicorn_cpu:.0f} s "
        f"= {stats.gunicorn_cpu / max(1, len(requests)) * 1000:.1f} ms per request; residents + Stripe fake "
        f"{stats.bench_cpu:.0f} s"
    )
    journeys = stats.journeys
    refusals = ", ".join(f"{reason} × {count}" for reason, count in stats.refusals.most_common()) or "none"
    print(
        f"   checkouts started {journeys['started']}, paid {journeys['paid']} "
        f"({journeys['paid'] / stats.elapsed:.2f} orders/s); legitimate refusals: {refusals}"
    )
    print(f"   {'page type':<14}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    by_kind: dict[str, list[tuple[float, float, str, int, bool]]] = defaultdict(list)
    for record in requests:
        by_kind[record[2]].append(record)
    for kind in KINDS:
        records = by_kind.get(kind)
        if not records:
            continue
        durations = [end - start for start, end, _kind, _status, _ok in records]
        statuses = Counter(status for _start, _end, _kind, status, _ok in records)
        shown = " ".join(f"{status or 'none'}×{count}" for status, count in sorted(statuses.items()))
        print(
            f"   {kind:<14}{len(records):>7}{ms(percentile(durations, 0.5), 8)} {ms(percentile(durations, 0.95), 8)}"
            f" {ms(percentile(durations, 0.99), 8)} {ms(max(durations), 8)}  {shown}"
        )
    errors = [record for record in requests if not record[4]]
    by_status = Counter("no answer" if record[3] == 0 else f"HTTP {record[3]}" for record in errors)
    print(
        f"   errors: {len(errors)}"
        + (" (" + ", ".join(f"{label} × {count}" for label, count in by_status.most_common()) + ")" if errors else "")
    )
    if errors:
        print(f"   errors by {WINDOW:.0f}-second window (start of the request):")
        windows = Counter(int(record[0] // WINDOW) for record in errors)
        totals = Counter(int(record[0] // WINDOW) for record in requests)
        for window in sorted(windows):
            print(
                f"     t={window * WINDOW:5.0f}–{(window + 1) * WINDOW:3.0f} s: {windows[window]:>5} errors "
                f"of {totals[window]} requests"
            )
        for at, detail in sorted(stats.error_samples)[:8]:
            print(f"     sample t={at:6.1f} s: {detail}")
    logged = server_errors(stack.logs / "gunicorn.log", stats)
    if logged:
        print("   errors logged by the server, by final exception:")
        for line in logged[:8]:
            print(f"     {line}")
    killed_at = next((event.at for event in stats.events if event.key == "worker_killed"), None)
    if killed_at is not None:
        after = [sample for sample in stats.queue if sample[0] >= killed_at]
        if after:
            peak = max(after, key=lambda sample: sample[1])
            back = next((sample[0] for sample in after if sample[0] > peak[0] and sample[1] <= 5), None)
            print(
                f"   after the worker was killed: backlog peaked at {peak[1]} tasks at t={peak[0]:.0f} s, "
                + (f"back to ≤ 5 at t={back:.0f} s" if back is not None else "still above 5 at the end")
            )
    if stats.retries_left:
        print(f"   webhooks still undelivered after the redelivery schedule: {stats.retries_left}")
    if stats.queue:
        peak = max(stats.queue, key=lambda sample: sample[1])
        print(
            f"   Celery queue: peak {peak[1]} tasks waiting at t={peak[0]:.0f} s; at the end {stats.queue[-1][1]} "
            f"waiting, {stats.queue[-1][2]} unacknowledged"
        )


def server_errors(log: Path, stats: PhaseStats) -> list[str]:
    """The errors gunicorn logged during the phase (JSON lines), grouped by the exception that ended them."""
    import datetime as dt

    found: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
            at = dt.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp() - stats.wall_origin
        except (ValueError, KeyError):
            continue
        if record.get("level") not in ("error", "critical") or not 0 <= at <= stats.elapsed:
            continue
        # The last unindented line of the traceback names the exception (its message may go on below).
        exception = [text for text in (record.get("exception") or "").splitlines() if text and not text[0].isspace()]
        cause = re.sub(r"\d{4,}", "N", exception[-1] if exception else record.get("event", "?"))[:140]
        found[cause].append(at)
    return [
        f"{len(times):>5} × {cause}  (t={min(times):.1f}–{max(times):.1f} s)"
        for cause, times in sorted(found.items(), key=lambda item: -len(item[1]))
    ]


def worker_errors(stack: Stack) -> list[str]:
    """What went wrong in the Celery workers: failed tasks and failed signal handlers, by exception."""
    found: Counter[str] = Counter()
    for log in sorted(stack.logs.glob("worker-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            failed = re.search(r"Task ([\w.]+)\[[^\]]*\] raised unexpected: (\w+)", line)
            handler = re.search(r"Signal handler <function (\w+) .*> raised: (\w+)", line)
            if failed:
                found[f"{log.stem}: task {failed.group(1)} failed with {failed.group(2)}"] += 1
            elif handler:
                found[f"{log.stem}: signal handler {handler.group(1)} raised {handler.group(2)}"] += 1
    return [f"{count:>5} × {what}" for what, count in found.most_common()]


def fault_verdicts(stats: PhaseStats) -> list[tuple[str, bool, str]]:
    """Errors confined to the outage window, and how long after PostgreSQL was up the last one ended."""
    events = {event.key: event.at for event in stats.events}
    stopped_at, up_at = events.get("db_stopping"), events.get("db_up")
    errors = [record for record in stats.requests if not record[4]]
    if stopped_at is None or up_at is None:
        return [("fault phase: PostgreSQL was restarted", False, "no restart recorded")]
    outside = [record for record in errors if not (stopped_at <= record[1] and record[0] <= up_at + RECOVERY_LIMIT)]
    last_end = max((record[1] for record in errors), default=up_at)
    recovery = max(0.0, last_end - up_at)
    first_after = [record for record in stats.requests if record[0] >= up_at and record[4]]
    first_success = min((record[1] for record in first_after), default=float("nan")) - up_at
    detail = (
        f"PostgreSQL stopped at t={stopped_at:.1f} s, up at t={up_at:.1f} s; {len(errors)} errors, "
        f"{len(outside)} outside [stop, up + {RECOVERY_LIMIT:.0f} s]"
    )
    results = [
        ("fault phase: errors only during the outage", not outside, detail),
        (
            f"fault phase: recovery < {RECOVERY_LIMIT:.0f} s after PostgreSQL is up",
            recovery < RECOVERY_LIMIT,
            f"last failed request ended {recovery:.1f} s after PostgreSQL was up; first success after "
            f"{first_success:.2f} s",
        ),
    ]
    if outside:
        samples = [f"t={record[0]:.1f}–{record[1]:.1f} s {record[2]} {record[3] or 'no answer'}" for record in outside]
        results[0] = (results[0][0], False, detail + ": " + "; ".join(samples[:5]))
    return results


# --- main -------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 towns, 2 × 30 s, faults at 8 s and 18 s")
    parser.add_argument("--towns", type=int, default=100, help="towns (100)")
    parser.add_argument("--seconds", type=float, default=300.0, help="duration of each phase (300)")
    parser.add_argument("--users", type=int, default=30, help="simulated residents (30)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions, s (1.0)")
    parser.add_argument("--products", type=int, default=200, help="products per town, over 5 merchants (200)")
    parser.add_argument("--scarce", type=int, default=3, help="scarce products per town and phase (3)")
    parser.add_argument("--scarce-stock", type=int, default=3, help="units of each scarce product (3)")
    parser.add_argument("--scarce-share", type=float, default=0.5, help="share of checkouts wanting one (0.5)")
    parser.add_argument("--db-restart-at", type=float, default=60.0, help="PostgreSQL stopped at t (60)")
    parser.add_argument("--db-down", type=float, default=5.0, help="seconds PostgreSQL stays down (5)")
    parser.add_argument("--worker-kill-at", type=float, default=150.0, help="Celery worker SIGKILLed at t (150)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (8)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (2)")
    parser.add_argument("--warmup", type=float, default=10.0, help="untimed traffic before phase 1, s (10)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.quick:
        args.towns, args.seconds, args.warmup = min(args.towns, 10), min(args.seconds, 30.0), min(args.warmup, 3.0)
        args.db_restart_at, args.worker_kill_at, args.db_down = 8.0, 18.0, min(args.db_down, 3.0)
    if not 0 < args.db_restart_at < args.seconds or not 0 < args.worker_kill_at < args.seconds:
        parser.error("the faults must happen during the phase (0 < --db-restart-at, --worker-kill-at < --seconds)")
    return args


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    stack = Stack()
    fake = IndexedStripeFake().start()
    try:
        redis_url = stack.start_redis()
        database_url = stack.init_postgres()
        configure_environment(database_url=database_url, redis_url=redis_url, fake_url=fake.url)
        server_version = set_up_platform(collect_static=True)
        from django.db import connections

        print(
            f"own PostgreSQL {server_version} on port {stack.pg_port}, "
            f"own Redis on port {stack.redis_port}, {os.cpu_count()} cores; logs in {stack.logs}",
            flush=True,
        )
        towns = build_towns(args)
        connections.close_all()
        stack.checkpoint()  # the bulk load flushed now, not in the middle of a phase
        port = stack.start_gunicorn(workers=args.workers, threads=args.threads)
        wait_until_up(port, PLATFORM_DOMAIN, stack.children["gunicorn"].process)
        stack.start_worker("worker-1", concurrency=args.concurrency)
        stack.wait_for_log("worker-1", " ready.", timeout=120)
        stack.start_beat()
        print(
            f"set-up {time.perf_counter() - started:.0f} s: {len(towns)} towns × {args.products} products; gunicorn "
            f"{args.workers} workers × {args.threads} threads (infra/gunicorn.conf.py, DEBUG off); Celery worker "
            f"prefork × {args.concurrency} and beat; {args.users} users, think time ~{args.think:.1f} s",
            flush=True,
        )
        common = {"args": args, "towns": towns, "port": port, "fake": fake, "stack": stack, "redis_url": redis_url}
        warm = run_phase(0, "warm-up", faults=False, seconds=args.warmup, **common)
        clean = run_phase(0, "1 (clean)", faults=False, seconds=args.seconds, **common)
        print_phase(clean, args, stack)
        print(
            f"\nphase 2: PostgreSQL stopped at t={args.db_restart_at:.0f} s for {args.db_down:.0f} s, "
            f"worker killed at t={args.worker_kill_at:.0f} s",
            flush=True,
        )
        faulty = run_phase(1, "2 (faults)", faults=True, seconds=args.seconds, **common)
        print_phase(faulty, args, stack)

        beat_result = beat_verdict(stack, faulty)
        stack.stop("beat")
        drained = wait_for_queue(redis_url, orphaned=faulty.orphaned, timeout=600)
        missing = paid_orders_without_capture(towns)
        catch_up = catch_up_ledger(towns)
        still_missing = paid_orders_without_capture(towns)
        print(
            f"\nafter the run: queue drained in {drained:.1f} s; paid orders without a capture entry: "
            f"{sum(map(len, missing.values()))} ({', '.join(f'{s}: {ids}' for s, ids in missing.items()) or 'none'}); "
            f"ledger catch-up in every town {catch_up:.1f} s → {sum(map(len, still_missing.values()))} left",
            flush=True,
        )
        failures = worker_errors(stack)
        if failures:
            print("   errors in the Celery workers' logs:")
            for line in failures:
                print(f"     {line}")
        if faulty.orphaned:
            print(
                f"   the killed worker's {faulty.orphaned} tasks are still unacknowledged in Redis: kombu gives them "
                "to a worker again only after the visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS, 30 min); the "
                "beat sweeps "
                "(ledger catch-up, pending notifications) do their work meanwhile"
            )
        stack.stop("worker-2")
        stack.stop("gunicorn")
        results = [
            (
                "clean phase: no errors",
                not [r for r in clean.requests if not r[4]],
                f"{sum(not r[4] for r in clean.requests)} errors",
            ),
            *fault_verdicts(faulty),
            beat_result,
            (
                "every paid order has its capture entry (after the catch-up)",
                not still_missing,
                ", ".join(f"{slug}: {ids}" for slug, ids in still_missing.items()) or "all",
            ),
            *check_invariants(towns, [warm, clean, faulty]),
        ]
        tracebacks = (stack.logs / "gunicorn.log").read_text(errors="replace").count("Traceback")
        print("\ninvariants")
        for name, is_ok, detail in results:
            print(f"  {'PASS' if is_ok else 'FAIL'}  {name} — {detail}")
        print(
            f"\ngunicorn log: {tracebacks} tracebacks; logs in {stack.logs}; "
            f"total benchmark time {time.perf_counter() - started:.0f} s"
        )
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process the benchmark started…", flush=True)
        raise
    finally:
        stack.close()  # gunicorn first: it may still be talking to the fake
        fake.stop()
    if not all(is_ok for _name, is_ok, _detail in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
