"""What the courier records at each stop: the pickup with the ticket's code, the drop with the town's proof.

Through HTTP, as the app sends them (``Accept: application/json``, a key chosen on the phone).
"""

from __future__ import annotations

import io
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from checkout.models import MerchantOrder, MerchantOrderStatus
from logistics.models import (
    CourierAction,
    Delivery,
    DeliveryStatus,
    LogisticsSettings,
    PartStatus,
    ProofMode,
    Round,
    Stop,
    StopStatus,
)
from tenants.private_files import private_storage
from tests.logistics.courier_setup import FRIDAY_MORNING, plan_round

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def planned(town_a, delivering_shops, zones, django_capture_on_commit_callbacks, client_a):
    with time_machine.travel(FRIDAY_MORNING, tick=False), town_a:
        planned = plan_round(town_a, delivering_shops, django_capture_on_commit_callbacks)
        client_a.force_login(planned.courier)
        yield planned


def key() -> str:
    return str(uuid.uuid4())


def collect(client, stop, code, action_key=None):
    return client.post(f"/livreur/arrets/{stop.pk}/retrait/", {"key": action_key or key(), "code": code}, **JSON)


def collect_everything(client, planned):
    for stop, part in zip(planned.pickups, planned.parts, strict=True):
        assert collect(client, stop, part.collect_code).json()["outcome"] == "collected"


def deliver(client, planned, capture, action_key=None, **data):
    with capture(execute=True):
        return client.post(
            f"/livreur/arrets/{planned.drop.pk}/livraison/", {"key": action_key or key(), **data}, **JSON
        )


def jpeg(size=(800, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "Téléphone du livreur"  # Model: must not survive
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile("colis.jpg", buffer.getvalue(), content_type="image/jpeg")


# --- at a shop ---------------------------------------------------------------------------------
@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_typing_the_tickets_code_collects_the_part_and_starts_the_round(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    typed = " ".join(part.collect_code.lower())  # lower case, with spaces: as typed on a phone

    response = collect(client_a, stop, typed)

    assert response.json() == {"ok": True, "outcome": "collected", "message": "Colis retirés.", "replayed": False}
    with town_a:
        part.refresh_from_db()
        stop.refresh_from_db()
        assert (part.status, part.collected_at) == (PartStatus.COLLECTED, FRIDAY_MORNING)
        assert (stop.status, stop.done_at) == (StopStatus.DONE, FRIDAY_MORNING)
        assert Round.objects.get(pk=planned.round.pk).started_at == FRIDAY_MORNING
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.ON_THE_WAY


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_scanned_qr_code_holding_a_link_collects_by_its_last_segment(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    response = collect(client_a, stop, f"https://ville-a.test/retrait/{part.collect_code}")
    assert response.json()["outcome"] == "collected"


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_wrong_code_is_refused_in_french_and_changes_nothing(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    wrong = "ZZZZZZ" if part.collect_code != "ZZZZZZ" else "YYYYYY"

    response = collect(client_a, stop, wrong)

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "Ce code ne correspond pas à cette commande. Vérifiez le ticket du commerce.",
    }
    with town_a:
        part.refresh_from_db()
        stop.refresh_from_db()
        assert part.status != PartStatus.COLLECTED
        assert stop.status == StopStatus.TODO
        assert Round.objects.get(pk=planned.round.pk).started_at is None
        assert not CourierAction.objects.exists()  # a refused action leaves no key behind


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_same_pickup_scanned_twice_says_already_collected_and_changes_nothing_more(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    collect(client_a, stop, part.collect_code)
    with town_a:
        first = (Stop.objects.get(pk=stop.pk).done_at, part.__class__.objects.get(pk=part.pk).collected_at)

    with time_machine.travel(FRIDAY_MORNING.replace(minute=45), tick=False):
        again = collect(client_a, stop, part.collect_code)  # a second scan: another key

    assert again.status_code == 200
    assert again.json()["outcome"] == "already_collected"
    assert again.json()["message"] == "Déjà retiré."
    with town_a:
        assert (Stop.objects.get(pk=stop.pk).done_at, part.__class__.objects.get(pk=part.pk).collected_at) == first
        assert CourierAction.objects.count() == 2


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_same_key_posted_twice_is_applied_once_and_answers_the_first_outcome(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    action_key = key()

    first = collect(client_a, stop, part.collect_code, action_key)
    second = collect(client_a, stop, part.collect_code, action_key)

    assert first.json()["outcome"] == second.json()["outcome"] == "collected"
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    with town_a:
        assert CourierAction.objects.filter(key=action_key).count() == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_without_javascript_the_form_posts_and_comes_back_to_the_stop(client_a, town_a, planned):
    stop, part = planned.pickups[0], planned.parts[0]
    response = client_a.post(f"/livreur/arrets/{stop.pk}/retrait/", {"key": key(), "code": part.collect_code})
    assert response.status_code == 302
    assert response["Location"] == f"/livreur/#arret-{stop.pk}"
    page = client_a.get("/livreur/").content.decode()
    assert "Colis retirés." in page


# --- at the door -------------------------------------------------------------------------------
@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_residents_code_delivers_every_part_and_the_merchant_orders_become_delivered(
    client_a, town_a, planned, django_capture_on_commit_callbacks
):
    collect_everything(client_a, planned)

    response = deliver(
        client_a, planned, django_capture_on_commit_callbacks, proof_kind="code", code=planned.delivery.door_code
    )

    assert response.json()["outcome"] == "delivered"
    with town_a:
        delivery = Delivery.objects.get(pk=planned.delivery.pk)
        assert (delivery.status, delivery.delivered_at, delivery.proof_kind) == (
            DeliveryStatus.DELIVERED,
            FRIDAY_MORNING,
            "code",
        )
        statuses = set(MerchantOrder.objects.filter(order=planned.order).values_list("status", flat=True))
        assert statuses == {MerchantOrderStatus.DELIVERED}
        assert Stop.objects.get(pk=planned.drop.pk).status == StopStatus.DONE


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_wrong_door_code_is_refused_and_nothing_is_delivered(
    client_a, town_a, planned, django_capture_on_commit_callbacks
):
    collect_everything(client_a, planned)
    wrong = "000000" if planned.delivery.door_code != "000000" else "111111"

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="code", code=wrong)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "Code incorrect. Demandez à l'habitant le code à 6 chiffres reçu avec sa commande."
    )
    with town_a:
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.ON_THE_WAY
        assert set(MerchantOrder.objects.filter(order=planned.order).values_list("status", flat=True)) == {
            MerchantOrderStatus.PAID
        }


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_door_codes_stop_being_tried_after_five_attempts_an_hour(
    client_a, town_a, planned, django_capture_on_commit_callbacks
):
    collect_everything(client_a, planned)
    wrong = "000000" if planned.delivery.door_code != "000000" else "111111"
    for _ in range(5):
        deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="code", code=wrong)

    response = deliver(
        client_a, planned, django_capture_on_commit_callbacks, proof_kind="code", code=planned.delivery.door_code
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("Trop d'essais de code pour cette livraison")


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_nothing_is_delivered_before_every_part_is_collected(
    client_a, town_a, planned, django_capture_on_commit_callbacks
):
    collect(client_a, planned.pickups[0], planned.parts[0].collect_code)

    response = deliver(
        client_a, planned, django_capture_on_commit_callbacks, proof_kind="code", code=planned.delivery.door_code
    )

    assert response.json() == {"ok": False, "error": "Retirez d'abord tous les colis de cette livraison."}


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_photo_proof_is_kept_privately_without_its_metadata_and_shown_to_town_staff_only(
    client_a, town_a, planned, django_capture_on_commit_callbacks, isolated_media
):
    collect_everything(client_a, planned)

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="photo", photo=jpeg())

    assert response.json()["outcome"] == "delivered"
    with town_a:
        delivery = Delivery.objects.get(pk=planned.delivery.pk)
        assert delivery.proof_kind == "photo"
        assert delivery.proof_photo.startswith("proofs/")
        with private_storage().open(delivery.proof_photo) as kept:
            assert not Image.open(kept).getexif()
    photo_path = f"/gestion/livraisons/rapports/preuves/{delivery.pk}/photo/"  # the town's view of proofs
    assert client_a.get(photo_path).status_code == 403  # the courier
    from accounts.models import Role, User

    with town_a:
        coordinator = User.objects.create_user(
            email="coordination@ville-a.fr", password="x-123456789", role=Role.DELIVERY_COORDINATOR
        )
    client_a.force_login(coordinator)
    shown = client_a.get(photo_path)
    assert shown.status_code == 200
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content)[:2] == b"\xff\xd8"


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_pdf_renamed_jpg_is_refused_as_a_proof_photo(
    client_a, town_a, planned, django_capture_on_commit_callbacks, isolated_media
):
    collect_everything(client_a, planned)
    pdf = SimpleUploadedFile(
        "colis.jpg", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n", content_type="image/jpeg"
    )

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="photo", photo=pdf)

    assert response.status_code == 400
    assert response.json()["error"].startswith("Ce fichier n'est pas une photo utilisable.")
    with town_a:
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.ON_THE_WAY
    _, private_root = isolated_media
    assert not [path for path in private_root.rglob("*") if path.is_file()]


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_photo_over_the_upload_limit_is_refused_in_french(
    client_a, town_a, planned, django_capture_on_commit_callbacks, isolated_media
):
    collect_everything(client_a, planned)
    heavy = SimpleUploadedFile("colis.jpg", b"\xff\xd8\xff" + b"0" * (16 * 1024 * 1024), content_type="image/jpeg")

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="photo", photo=heavy)

    assert response.status_code == 400
    assert response.json()["error"] == "Cette photo pèse plus de 15 Mo : envoyez une version plus légère."


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_40_mb_photo_is_refused_before_it_is_read(
    client_a, town_a, planned, django_capture_on_commit_callbacks, isolated_media
):
    collect_everything(client_a, planned)
    huge = SimpleUploadedFile("colis.jpg", b"\xff\xd8\xff" + b"0" * (40 * 1024 * 1024), content_type="image/jpeg")

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="photo", photo=huge)

    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()
    with town_a:
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.ON_THE_WAY


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_signature_drawn_on_the_phone_is_kept_as_path_data(
    client_a, town_a, planned, django_capture_on_commit_callbacks
):
    collect_everything(client_a, planned)
    drawn = "M10 10 L20 15 L30 22 L45 30 L60 31 M70 10 L72 40"

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="signature", signature=drawn)

    assert response.json()["outcome"] == "delivered"
    with town_a:
        assert Delivery.objects.get(pk=planned.delivery.pk).proof_signature == drawn


@time_machine.travel(FRIDAY_MORNING, tick=False)
@pytest.mark.parametrize(
    ("signature", "error"),
    [
        ('M10 10"/><script>alert(1)</script>', "Cette signature n'est pas lisible : effacez-la et recommencez."),
        ("M10 10 L11 11", "Signature trop courte : faites signer l'habitant dans le cadre."),
        ("", "Faites signer l'habitant dans le cadre."),
    ],
)
def test_a_signature_that_is_not_plain_strokes_is_refused(
    client_a, town_a, planned, django_capture_on_commit_callbacks, signature, error
):
    collect_everything(client_a, planned)
    response = deliver(
        client_a, planned, django_capture_on_commit_callbacks, proof_kind="signature", signature=signature
    )
    assert response.json() == {"ok": False, "error": error}


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_town_asking_for_a_code_refuses_a_photo(
    client_a, town_a, planned, django_capture_on_commit_callbacks, isolated_media
):
    with town_a:
        LogisticsSettings.objects.create(pk=1, proof_mode=ProofMode.CODE)
    collect_everything(client_a, planned)
    page = client_a.get("/livreur/").content.decode()
    assert 'name="proof_kind" value="code"' in page
    assert 'name="photo"' not in page

    response = deliver(client_a, planned, django_capture_on_commit_callbacks, proof_kind="photo", photo=jpeg())

    assert response.json() == {"ok": False, "error": "Cette preuve n'est pas celle que demande la ville."}
    _, private_root = isolated_media
    assert not [path for path in private_root.rglob("*") if path.is_file()]
