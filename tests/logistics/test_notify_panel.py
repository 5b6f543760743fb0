"""Town staff read how a delivery went on the order's page: courier, when, and the proof (code, signature,
photo from the private storage) or the failure; merchants never see it, nor the photo."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from accounts.models import Role, User
from logistics.models import (
    Delivery,
    DeliveryStatus,
    FailureReason,
    Hub,
    Round,
    Shift,
    Stop,
    StopKind,
    StopStatus,
    Vehicle,
    VehicleType,
)
from logistics.notify import signature_path
from tenants.private_files import private_storage, random_private_name
from tests.catalog.test_backoffice import sign_in
from tests.checkout.conftest import merchant_user
from tests.logistics.test_arrival_windows import FRIDAY_MORNING, planned_delivery

DELIVERED_AT = dt.datetime(2026, 11, 27, 13, 22, tzinfo=dt.UTC)  # 14 h 22 in Calais


def on_a_round(delivery: Delivery, courier_name: tuple[str, str] = ("Karim", "Benali")) -> User:
    """Puts the delivery's drop on a bike round of a courier; returns the courier."""
    courier = User.objects.create_user(
        email=f"{courier_name[0].lower()}@livreurs.fr",
        role=Role.COURIER,
        first_name=courier_name[0],
        last_name=courier_name[1],
    )
    bike = VehicleType.objects.create(name="Vélo cargo", is_bike=True)
    vehicle = Vehicle.objects.create(
        name="Vélo 1",
        vehicle_type=bike,
        hub=Hub.objects.create(name="Dépôt", address="1 quai", latitude=50.95, longitude=1.85),
    )
    shift = Shift.objects.create(
        date=delivery.date, courier=courier, vehicle=vehicle, starts_at=dt.time(13, 0), ends_at=dt.time(17, 0)
    )
    route = Round.objects.create(
        date=delivery.date,
        shift=shift,
        courier=courier,
        vehicle=vehicle,
        starts_at=dt.time(13, 0),
        ends_at=dt.time(16, 0),
    )
    Stop.objects.create(
        round=route,
        position=1,
        kind=StopKind.DROP,
        delivery=delivery,
        arrives_at=dt.time(14, 20),
        starts_at=dt.time(14, 20),
        departs_at=dt.time(14, 24),
        status=StopStatus.DONE,
    )
    return courier


def delivered(delivery: Delivery, **proof: object) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED, delivered_at=DELIVERED_AT, **proof)


def order_page(client: Client, delivery: Delivery) -> str:
    part_id = delivery.order.merchant_orders.get().pk
    response = client.get(f"/gestion/mes-commandes/{part_id}/")
    assert response.status_code == 200
    return response.content.decode()


def panel_of(page: str) -> str:
    return page.split('<section class="delivery-panel"')[1].split("</section>")[0]


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_town_staff_read_who_delivered_when_and_that_the_code_was_checked(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        delivery = planned_delivery()
        on_a_round(delivery)
        delivered(delivery, proof_kind="code")
        panel = panel_of(order_page(client_a, delivery))

    assert "<dt>État</dt><dd>Livrée</dd>" in panel
    assert "<dt>Livreur</dt><dd>Karim Benali</dd>" in panel
    assert "27 novembre 2026, 14 h 22</time>" in panel
    assert "<dt>Preuve de livraison</dt>\n      <dd>Code vérifié</dd>" in panel
    assert "<img" not in panel


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_signature_is_drawn_from_its_path_and_anything_else_is_never_rendered(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    with town_a:
        signed = planned_delivery()
        delivered(signed, proof_kind="signature", proof_signature="M10 10 L50 40 L90 12 Z")
        forged = planned_delivery(shop_name="Épicerie du Port")
        delivered(forged, proof_kind="signature", proof_signature='M0 0"/><script>alert(1)</script><path d="')
        signed_panel = panel_of(order_page(client_a, signed))
        forged_panel = panel_of(order_page(client_a, forged))

    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="5 5 90 40"' in signed_panel
    assert '<path d="M10 10 L50 40 L90 12 Z"' in signed_panel
    assert "Signature du destinataire" in signed_panel
    assert "<svg" not in forged_panel
    assert "alert(1)" not in forged_panel


def test_only_path_data_passes_as_a_signature():
    assert signature_path(" M1.5,2 l3 -4 C 1 2 3 4 5 6 z ") == "M1.5,2 l3 -4 C 1 2 3 4 5 6 z"
    assert signature_path("") is None
    assert signature_path("10 10 L 20 20") is None  # path data starts with a command
    assert signature_path("M0 0 <g>") is None
    assert signature_path("M0 0 url(#x)") is None


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_failure_says_why(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        delivery = planned_delivery()
        on_a_round(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            failed_at=DELIVERED_AT,
            failure_reason=FailureReason.ABSENT,
            failure_note="Personne à l'interphone",
        )
        panel = panel_of(order_page(client_a, delivery))

    assert "<dt>État</dt><dd>Échec, colis rapporté au dépôt</dd>" in panel
    assert "14 h 22</time> — Habitant absent : Personne à l&#x27;interphone</dd>" in panel
    assert "Preuve de livraison" not in panel


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_photo_is_streamed_to_town_staff_and_the_coordinator_only(
    client_a, client_b, town_a, town_b, isolated_media
):
    photo = _png()
    with town_a:
        delivery = planned_delivery()
        name = private_storage().save(random_private_name("proofs", "colis.png"), ContentFile(photo))
        delivered(delivery, proof_kind="photo", proof_photo=name)
        merchant = delivery.order.merchant_orders.get().merchant
    photo_url = f"/gestion/livraisons/rapports/preuves/{delivery.pk}/photo/"

    anonymous = client_a.get(photo_url)
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    panel = panel_of(order_page(client_a, delivery))
    staff = client_a.get(photo_url)
    staff_bytes = b"".join(staff.streaming_content)
    coordinator_client = Client(HTTP_HOST=town_a.primary_host)
    sign_in(coordinator_client, town_a, role=Role.DELIVERY_COORDINATOR)
    coordinator = coordinator_client.get(photo_url)
    merchant_client = Client(HTTP_HOST=town_a.primary_host)
    with town_a:
        merchant_client.force_login(merchant_user(merchant, "boulangerie@exemple.fr"))
    merchant_page = order_page(merchant_client, delivery)
    refused = merchant_client.get(photo_url)
    sign_in(client_b, town_b, role=Role.TOWN_AGENT)
    other_town = client_b.get(photo_url)

    assert anonymous.status_code == 302
    assert f'<a href="{photo_url}"><img src="{photo_url}"' in panel
    assert staff.status_code == 200
    assert staff["Content-Type"] == "image/png"
    assert staff["X-Content-Type-Options"] == "nosniff"
    assert staff_bytes == photo
    assert coordinator.status_code == 200
    assert "delivery-panel" not in merchant_page
    assert refused.status_code == 403
    assert other_town.status_code == 404
