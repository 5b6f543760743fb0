"""A real server (gunicorn, as in production) on the test database, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checkout.stripe_fake import StripeFake
from tests.checkout.stripe_fixtures import (  # noqa: F401  (session fixture)
    FAKE_PUBLISHABLE_KEY,
    FAKE_SECRET_KEY,
    FAKE_WEBHOOK_SECRET,
    stripe_fake_server,
)
from tests.conftest import database_url_for_subprocess, require_or_skip

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "test"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("server did not answer /healthz")


@pytest.fixture(scope="session")
def server_port(
    django_db_setup: None,
    django_db_blocker: pytest.FixtureRequest,
    stripe_fake_server: StripeFake,  # noqa: F811
) -> Iterator[int]:
    port = _free_port()
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocess()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        # Plain HTTP in the browser: cookies as in local development (no Secure, no __Host-).
        "SECURE_COOKIES": "0",
        "DEBUG": "1",
        # Towns paying through Stripe talk to the in-process fake, and pages load its Stripe.js stand-in.
        "STRIPE_SECRET_KEY": FAKE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": FAKE_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": FAKE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_fake_server.url,
        "STRIPE_JS_URL": f"{stripe_fake_server.url}/v3/",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "config.wsgi:application",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        _wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_or_skip(os.path.exists(CHROMIUM), "Debian's chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of fixtures are fine.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        yield from _launch(sync_playwright)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _launch(sync_playwright: object) -> Iterator[object]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--host-resolver-rules=MAP *.test 127.0.0.1, MAP test 127.0.0.1",
            ],
        )
        yield chromium
        chromium.close()


# Chromium logs a blocked inline style or script ("Refused to apply inline style because it violates
# the following Content Security Policy directive…"); the event catches every other kind too.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
});
"""


def watch_csp_violations(context: object) -> list[str]:
    """Every Content-Security-Policy violation in the pages of ``context``, as the console reports it."""
    violations: list[str] = []
    context.add_init_script(_REPORT_CSP_VIOLATIONS)

    def record(message: object) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
            violations.append(message.text)

    context.on("console", record)
    return violations


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A phone-sized page; the test fails if any page it opened broke the Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")  # a phone
    violations = watch_csp_violations(context)
    page = context.new_page()
    yield page
    context.close()
    assert violations == [], violations


def screenshot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page: object) -> list[str]:
    """axe over WCAG 2.1 A/AA: the serious and critical violations, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def accessibility_problems(page: object, base: str, pages: dict[str, str]) -> dict[str, list[str]]:
    """Opens each page (it must answer 200), keeps a screenshot, returns its serious axe violations."""
    problems = {}
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response.status == 200, (name, response.status)
        screenshot(page, name)
        if violations := serious_accessibility_violations(page):
            problems[name] = violations
    return problems


def log_in(page: object, base: str, email: str, password: str) -> None:
    """Through the real login form, as a person would; fails the test if the login did not take."""
    page.goto(f"{base}/compte/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert email in page.content(), "login failed"
