"""SMS: French mobile numbers, GSM-7 texts, and the Brevo adapter against a local HTTP server that
answers with the shapes of Brevo's documented responses."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from accounts.sms import SmsError, fit_single_sms, gsm7_length, is_gsm7, normalise_french_mobile, send_sms, to_gsm7
from accounts.sms.backends import locmem
from accounts.sms.backends.brevo import SmsBackend as BrevoBackend
from checkout.models import Fulfilment, Order
from checkout.notifications import queue_order_notifications
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order

# Recorded-shape answers of POST /v3/transactionalSMS/send: (status, JSON body).
BREVO_ANSWERS = {
    "success": (201, {"messageId": 1511882900176220}),
    "unauthorized": (401, {"code": "unauthorized", "message": "Key not found"}),
    "invalid_number": (400, {"code": "invalid_parameter", "message": "Invalid phone number"}),
    "server_error": (500, {"code": "internal_error", "message": "Internal Server Error"}),
    "no_credits": (402, {"code": "not_enough_credits", "message": "Not enough credits"}),
}


class FakeBrevo(ThreadingHTTPServer):
    answer: str = "success"
    delay: float = 0.0
    requests: list[dict[str, object]]


class _Handler(BaseHTTPRequestHandler):
    server: FakeBrevo

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "json": json.loads(body),
            }
        )
        if self.server.delay:
            time.sleep(self.server.delay)
        status, payload = BREVO_ANSWERS[self.server.answer]
        raw = json.dumps(payload).encode()
        if self.server.delay:
            return  # the client has given up by now
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def fake_brevo(settings: object) -> Iterator[FakeBrevo]:
    server = FakeBrevo(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "accounts.sms.backends.brevo.SmsBackend"
    settings.SMS_API_URL = f"http://127.0.0.1:{server.server_port}/v3/transactionalSMS/send"
    settings.SMS_API_KEY = "xkeysib-test"
    settings.SMS_SENDER = "VilleA"
    settings.SMS_API_TIMEOUT = 0.5
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", None),
        ("0033 7 81 22 33 44", "+33781223344"),
        ("33612345678", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("03 21 46 62 00", None),  # landline: cannot receive an SMS
        ("07 01 02 03 04", None),  # 070x is not a mobile range
        ("06 12 34 56", None),
        ("", None),
    ],
)
def test_french_mobile_numbers_are_normalised_to_e164(written, e164):
    assert normalise_french_mobile(written) == e164


def test_texts_are_fitted_to_one_gsm7_sms():
    assert to_gsm7("Votre commande est prête — «\u00a0code\u00a0» : 12,50\u202f€, façon œuf") == (
        'Votre commande est prete - " code " : 12,50 €, facon oeuf'
    )
    assert gsm7_length("12 €") == 5  # € is in the extension table: two septets
    long = fit_single_sms("é" * 200)
    assert gsm7_length(long) == 160
    assert long.endswith("...")


def test_the_locmem_backend_keeps_messages_and_bad_numbers_are_refused(settings):
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    assert send_sms(to="+33612345678", text="Bonjour") == "locmem-1"
    assert locmem.outbox == [locmem.SmsMessage(to="+33612345678", text="Bonjour", message_id="locmem-1")]
    with pytest.raises(SmsError, match="Numéro invalide pour un SMS : « 0612345678 »"):
        send_sms(to="0612345678", text="Bonjour")


def test_brevo_accepts_a_message_and_returns_its_id(fake_brevo):
    message_id = send_sms(to="+33612345678", text="Votre commande est prête")

    assert message_id == "1511882900176220"
    [request] = fake_brevo.requests
    assert request["path"] == "/v3/transactionalSMS/send"
    assert request["headers"]["api-key"] == "xkeysib-test"
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {
        "sender": "VilleA",
        "recipient": "33612345678",
        "content": "Votre commande est prete",
        "type": "transactional",
    }


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("unauthorized", "Brevo HTTP 401 : clé d'API refusée (vérifiez SMS_API_KEY) — unauthorized: Key not found"),
        (
            "invalid_number",
            "Brevo HTTP 400 : requête refusée (numéro ou texte invalide) — invalid_parameter: Invalid phone number",
        ),
        ("server_error", "Brevo HTTP 500 : erreur du fournisseur — internal_error: Internal Server Error"),
        ("no_credits", "Brevo HTTP 402 : crédit SMS épuisé — not_enough_credits: Not enough credits"),
    ],
)
def test_brevo_errors_become_sms_errors_that_say_what_to_fix(fake_brevo, answer, message):
    fake_brevo.answer = answer
    with pytest.raises(SmsError) as error:
        send_sms(to="+33612345678", text="Bonjour")
    assert str(error.value) == message


def test_a_brevo_that_does_not_answer_in_time_is_an_sms_error(fake_brevo):
    fake_brevo.delay = 1.5
    with pytest.raises(SmsError, match=r"^Brevo : pas de réponse en 0.5 s \(délai dépassé\)\.$"):
        send_sms(to="+33612345678", text="Bonjour")


def test_an_unreachable_brevo_is_an_sms_error(settings):
    settings.SMS_API_URL = f"http://127.0.0.1:{closed_port()}/v3/transactionalSMS/send"
    settings.SMS_API_KEY = "xkeysib-test"
    with pytest.raises(SmsError, match=r"^Brevo injoignable : .*refused"):
        BrevoBackend().send(to="+33612345678", text="Bonjour")


def test_brevo_without_an_api_key_refuses_to_send(settings):
    settings.SMS_API_KEY = ""
    with pytest.raises(SmsError, match="SMS_API_KEY n'est pas configurée"):
        BrevoBackend().send(to="+33612345678", text="Bonjour")


def test_gsm7_keeps_the_accented_letters_of_its_alphabet_and_falls_back_letter_by_letter():
    assert to_gsm7("É à è é ù ì ò Ç Ñ ü") == "É à è é ù ì ò Ç Ñ ü"  # the GSM 03.38 basic table has them
    assert to_gsm7("ê â î ô û ë ï ç Ê Â") == "e a i o u e i c E A"
    assert to_gsm7("l’œuf « Bœuf » — À") == 'l\'oeuf " Boeuf " - A'
    assert is_gsm7(to_gsm7("Crème brûlée, façon grand-mère ✓ 😀"))


def test_the_order_ready_sms_of_a_delivery_reaches_the_gateway_in_gsm7_with_its_day_and_the_couriers_code(
    town_a, fake_brevo, django_capture_on_commit_callbacks
):
    with town_a:
        shop = MerchantFactory(name="Crèmerie Éléonore")
        order = make_order([(shop, [Line("Maroilles", 890)])], phone="06 12 34 56 78", fulfilment=Fulfilment.DELIVERY)
        Order.objects.filter(pk=order.pk).update(delivery_date=dt.date(2026, 12, 8))
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_order_notifications(
                order=Order.objects.get(pk=order.pk), kind="order_ready", merchant_order=order.merchant_orders.get()
            )

    [request] = fake_brevo.requests
    assert request["json"]["recipient"] == "33612345678"
    assert request["json"]["content"] == (
        f"Ville A : votre commande {order.number} chez Crèmerie Éléonore est prete. "
        "Livraison le 08/12. Code à donner au livreur : 482913"
    )
