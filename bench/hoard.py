"""Benchmark: a scripted hoarder tries to keep a product of 33 units "Épuisé" with anonymous card
checkouts it never pays. How many units can it hold, and for how long can a real buyer not buy one?

Run:  .venv/bin/python bench/hoard.py                   (one address, 12 minutes: past a guest hold)
      .venv/bin/python bench/hoard.py --bot-ips 4       (the same bot spread over four addresses)
      REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/hoard.py --workers 2
                                                        (rate limits in Redis, shared by the workers)
      .venv/bin/python bench/hoard.py --minutes 2 --database bench_hoard_mine   (smoke, another database)

Set-up as in bench/checkout.py: its own database (``bench_hoard``, dropped and recreated) on the
server given by DATABASE_URL (or the embedded PostgreSQL), the platform migrated, one town provisioned
by the real code with one click-and-collect shop open all day selling "Galette des rois" (33 units,
tracked stock), gunicorn on 127.0.0.1 with DEBUG off. gunicorn stands behind one (pretend) reverse
proxy: TRUSTED_PROXY_COUNT=1 and each client sends the X-Forwarded-For the proxy would write, so the
bot and the buyers have addresses of their own. The cache (rate limits) is Redis when REDIS_URL is
set, as in production; otherwise gunicorn runs one worker, whose in-memory cache all threads share.
The expiry task runs every 60 s in this process, as beat runs it in every town.

The bot, from one address (198.51.100.7; with --bot-ips N, N addresses in turn), never pays:
  * every --bot-pause seconds it opens a new session (fresh cookies): product page, puts as many
    units in the basket as the site accepts (33, else the number the refusal names), checks out by
    card; after a refusal by a limit (HTTP 429) it waits a minute before opening the next one;
  * each session holding an order checks out again (the same basket, filled again) --renew-after
    seconds after its last checkout, to renew the hold before it expires.
A real buyer, from a new address each time, tries every 5 s to put one unit in a basket (nothing is
reserved): the product is *unavailable* when that is refused.

Printed: the limits in force, the bot's checkouts by outcome, the units it held (most, average), the
seconds the product was out of stock (total and longest stretch, sampled every second from the
database), the buyer's failed tries, and a per-minute timeline. Runs on code without these limits
too (the "before" figures: it then prints "no limits").
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchdb import production_environment, serving, set_up_platform
from client import Browser
from shop import form_errors, text_of

PLATFORM_DOMAIN = "bench.test"
STOCK = 33
BOT_IPS = ("198.51.100.7", "198.51.100.8", "198.51.100.9", "198.51.100.10", "198.51.100.11", "198.51.100.12")
MESSAGE = re.compile(r'<p class="message message-(\w+)"[^>]*>(.*?)</p>', re.DOTALL)
AT_MOST = re.compile(r"(?:Au plus|ne reste que) (\d+)")


def messages(browser: Browser, path: str = "/panier/") -> str:
    """The messages a page shows the browser (what the site said about its last action)."""
    page = browser.request("GET", path).text
    return " ".join(text_of(message) for _level, message in MESSAGE.findall(page))


@dataclass
class Shop:
    host: str
    merchant_id: int
    variant_id: int
    product_path: str


@dataclass
class Record:
    outcomes: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds from start, stock)
    probes: list[tuple[float, bool]] = field(default_factory=list)  # (seconds from start, could add)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- set-up ---------------------------------------------------------------------------------------
def configure_environment(workers: int, database: str) -> str:
    """Production mode over plain HTTP behind one reverse proxy; returns how the cache is shared."""
    os.environ["ALLOW_TEST_GATEWAY"] = "1"  # the bot never pays: no gateway is ever called
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    if os.environ.get("REDIS_URL"):
        os.environ["CACHE_KEY_PREFIX"] = f"bench-hoard-{os.getpid()}-{int(time.time())}"
        cache = f"Redis ({os.environ['REDIS_URL']}), shared by the {workers} workers"
    elif workers != 1:
        raise SystemExit("without REDIS_URL each worker would count apart: run with --workers 1")
    else:
        cache = "in-memory cache of the single worker"
    production_environment(platform_domain=PLATFORM_DOMAIN, database=database)
    return cache


def build_town() -> Shop:
    import datetime as dt

    from catalog.actions import save_merchant, save_opening_hours, save_product
    from catalog.models import Merchant, MerchantStatus, Product, Variant
    from tenants.actions import provision_town

    town = provision_town(slug="galette", name="Bench Galette").town
    with town:
        merchant = save_merchant(
            merchant=Merchant(),
            name="Pâtisserie du Beffroi",
            status=MerchantStatus.LIVE,
            sells_online=True,
            click_and_collect=True,
            city="Calais",
            email=f"patisserie@galette.{PLATFORM_DOMAIN}",
            phone="0321000000",
        )
        save_opening_hours(merchant=merchant, periods=[(day, dt.time(0, 0), dt.time(23, 59)) for day in range(7)])
        product = save_product(
            product=Product(merchant=merchant),
            stock=STOCK,
            title="Galette des rois",
            price_cents=2400,
            vat_rate=550,
            is_published=True,
        )
        variant = Variant.objects.get(product=product)
        return Shop(
            f"galette.{PLATFORM_DOMAIN}", merchant.pk, variant.pk, f"/commerces/{merchant.slug}/{product.slug}/"
        )


def limits_in_force() -> str:
    from tenants.models import Town

    town = Town.objects.get(slug="galette")
    if not hasattr(town, "max_units_per_product"):
        return "none (code before the limits): every card order holds its stock 30 min"
    from checkout import limits

    return (
        f"at most {town.max_units_per_product} units of a product per order and per address unpaid; "
        f"{limits.UNPAID_ORDERS_PER_IP} unpaid card orders per address; checkouts per "
        f"{limits.CHECKOUT_WINDOW_SECONDS // 60} min: {limits.CHECKOUTS_PER_IP} per address, "
        f"{limits.CHECKOUTS_PER_CLIENT} per session or account; guest hold "
        f"{limits.GUEST_HOLD.total_seconds() / 60:.0f} min, account hold {limits.ACCOUNT_HOLD.total_seconds() / 60:.0f} min"
    )


# --- the bot --------------------------------------------------------------------------------------
def checkout_once(browser: Browser, shop: Shop) -> tuple[str, int]:
    """Fills the basket with as many units as the site accepts, then checks out; (outcome, units)."""
    browser.request("GET", shop.product_path)
    quantity = STOCK
    for _attempt in range(3):
        browser.request("POST", "/panier/ajouter/", {"variant": str(shop.variant_id), "quantity": str(quantity)})
        said = messages(browser)
        if "a été ajouté" in said:
            break
        if "épuisé" in said:
            return "refused: sold out before the basket", 0
        found = AT_MOST.search(said)
        if not found:
            return f"refused in the basket: {said[:80]}", 0
        quantity = int(found.group(1))
    else:
        return "refused in the basket", 0
    form = {
        "first_name": "Robot",
        "last_name": "Accapareur",
        "email": "robot@exemple.fr",
        "phone": "06 12 34 56 78",
        "payment_method": "card",
        "accept_terms": "on",
        f"fulfilment_{shop.merchant_id}": "collect",
    }
    answer = browser.request("POST", "/commande/", form)
    if answer.status == 302 and answer.location.endswith("/paiement/"):
        return "held", quantity
    reason = form_errors(answer.text)
    # What is left in the basket would only be added to next time: the bot starts from empty.
    browser.request("POST", "/panier/modifier/", {"variant": str(shop.variant_id), "remove": "1"})
    if answer.status == 429:
        return f"429: {reason[:70]}", 0
    return f"refused ({answer.status}): {reason[:70]}", 0


def run_bot(port: int, shop: Shop, args: argparse.Namespace, record: Record, stop_at: float) -> None:
    addresses = itertools.cycle(BOT_IPS[: args.bot_ips])
    holding: list[tuple[Browser, float]] = []  # sessions holding an order, and when they checked out
    next_new_session = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            now = time.monotonic()
            for index, (browser, since) in enumerate(list(holding)):
                if now - since >= args.renew_after:
                    outcome, _units = checkout_once(browser, shop)
                    with record.lock:
                        record.outcomes[f"renewal {outcome}"] += 1
                    holding[index] = (browser, time.monotonic())
            if now >= next_new_session:
                browser = Browser(port, shop.host, next(addresses))
                outcome, _units = checkout_once(browser, shop)
                with record.lock:
                    record.outcomes[f"new session {outcome}"] += 1
                if outcome == "held":
                    holding.append((browser, time.monotonic()))
                else:
                    browser.close()
                pause = 60.0 if outcome.startswith("429") else args.bot_pause
                next_new_session = time.monotonic() + pause
            time.sleep(0.5)
    except (OSError, http.client.HTTPException) as error:
        record.errors.append(f"bot: {type(error).__name__}: {error}")


# --- the real buyer, the clock and the expiry task ------------------------------------------------
def run_buyer(port: int, shop: Shop, record: Record, started: float, stop_at: float) -> None:
    for number in itertools.count():
        if time.monotonic() >= stop_at:
            return
        browser = Browser(port, shop.host, f"203.0.113.{number % 250 + 1}")
        try:
            browser.request("GET", shop.product_path)
            browser.request("POST", "/panier/ajouter/", {"variant": str(shop.variant_id), "quantity": "1"})
            could_add = "a été ajouté" in messages(browser)
        except (OSError, http.client.HTTPException) as error:
            record.errors.append(f"buyer: {type(error).__name__}: {error}")
            could_add = False
        finally:
            browser.close()
        record.probes.append((time.monotonic() - started, could_add))
        time.sleep(5)


def run_sampler(shop: Shop, record: Record, started: float, stop_at: float) -> None:
    from django.db import connection

    from catalog.models import Variant
    from checkout.actions import expire_unpaid_orders
    from tenants.models import Town

    town = Town.objects.get(slug="galette")
    next_expiry = time.monotonic() + 60
    while time.monotonic() < stop_at:
        with town:
            if time.monotonic() >= next_expiry:
                expire_unpaid_orders()  # what beat's checkout.expire_unpaid_orders does, every minute
                next_expiry += 60
            stock = Variant.objects.values_list("stock", flat=True).get(pk=shop.variant_id)
        record.samples.append((time.monotonic() - started, stock))
        time.sleep(1)
    connection.close()


# --- figures --------------------------------------------------------------------------------------
def print_figures(record: Record, elapsed: float) -> None:
    held = [STOCK - stock for _at, stock in record.samples]
    out = [stock == 0 for _at, stock in record.samples]
    longest = current = 0
    for is_out in out:
        current = current + 1 if is_out else 0
        longest = max(longest, current)
    failed = sum(not could for _at, could in record.probes)
    print(f"\nrun: {elapsed / 60:.1f} min, {len(record.samples)} stock samples (1 s apart)")
    print("bot checkouts:")
    for outcome, count in sorted(record.outcomes.items()):
        print(f"  {count:4d}  {outcome}")
    print(
        f"units held by the bot: at most {max(held, default=0)} of {STOCK}, {sum(held) / max(len(held), 1):.1f} on average"
    )
    print(
        f"product out of stock: {sum(out)} s in all ({100 * sum(out) / max(len(out), 1):.0f} % of the run), "
        f"longest stretch {longest} s"
    )
    print(f"real buyer: {failed} of {len(record.probes)} tries to put one in the basket refused")
    print("timeline (minute: most units held by the bot, buyer's refused tries / tries):")
    for minute in range(int(elapsed // 60) + 1):
        window = [STOCK - stock for at, stock in record.samples if minute * 60 <= at < (minute + 1) * 60]
        probes = [could for at, could in record.probes if minute * 60 <= at < (minute + 1) * 60]
        if window:
            print(f"  {minute:3d}: {max(window):2d} held, {sum(not could for could in probes)}/{len(probes)} refused")
    if record.errors:
        print(f"errors: {len(record.errors)}; first: {record.errors[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=12.0, help="length of the attack (12: past a guest hold)")
    parser.add_argument("--bot-ips", type=int, default=1, choices=range(1, len(BOT_IPS) + 1), help="bot addresses (1)")
    parser.add_argument("--bot-pause", type=float, default=5.0, help="seconds between the bot's new sessions (5)")
    parser.add_argument("--renew-after", type=float, default=480.0, help="seconds before a session checks out again")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (1; more need REDIS_URL)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (8)")
    parser.add_argument("--database", default="bench_hoard", help="benchmark database, dropped and recreated")
    args = parser.parse_args()

    cache = configure_environment(args.workers, args.database)
    server_version = set_up_platform(collect_static=True)
    from django.db import connections

    shop = build_town()
    print(
        f"PostgreSQL {server_version}, {os.cpu_count()} cores; gunicorn "
        f"{args.workers} worker(s) × {args.threads} threads, DEBUG off, behind one proxy; rate limits in the {cache}",
        flush=True,
    )
    print(f"limits: {limits_in_force()}", flush=True)
    print(
        f"product: {STOCK} units; bot: {args.bot_ips} address(es), a new session every {args.bot_pause:.0f} s "
        f"(60 s after a 429), renewals after {args.renew_after:.0f} s; buyer: one try every 5 s",
        flush=True,
    )
    connections.close_all()

    log = Path(tempfile.mkdtemp(prefix="comptoir-bench-hoard-")) / "gunicorn.log"
    record = Record()
    with serving(workers=args.workers, threads=args.threads, host=PLATFORM_DOMAIN, log=log) as port:
        started = time.monotonic()
        stop_at = started + args.minutes * 60
        threads = [
            threading.Thread(target=run_bot, args=(port, shop, args, record, stop_at)),
            threading.Thread(target=run_buyer, args=(port, shop, record, started, stop_at)),
            threading.Thread(target=run_sampler, args=(shop, record, started, stop_at)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    print_figures(record, elapsed)
    tracebacks = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    print(f"gunicorn log {log}: {tracebacks} tracebacks; database {args.database} left for inspection")
    if tracebacks or record.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
