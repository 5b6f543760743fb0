"""The courier app, under /livreur/ (namespace ``courier``): the service worker's scope is this prefix."""

from django.urls import path

from logistics import views_courier

app_name = "courier"

urlpatterns = [
    path("", views_courier.round_today, name="round"),
    path("tournee.json", views_courier.round_json, name="round_json"),
    path("sw.js", views_courier.service_worker, name="service_worker"),
    path("manifest.webmanifest", views_courier.manifest, name="manifest"),
    path("arrets/<int:stop_id>/retrait/", views_courier.collect, name="collect"),
    path("arrets/<int:stop_id>/livraison/", views_courier.deliver, name="deliver"),
    path("arrets/<int:stop_id>/echec/", views_courier.fail, name="fail"),
    path("arrets/<int:stop_id>/depot/", views_courier.reload, name="reload"),
]
