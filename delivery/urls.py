"""URLs of the delivery app on a town's site: address suggestions, the zone and slot editors."""

from django.urls import path

from delivery import views, views_backoffice

app_name = "delivery"

urlpatterns = [
    path("livraison/adresses/", views.address_suggestions, name="address_suggestions"),
    path("gestion/livraison/", views_backoffice.zone_list, name="zone_list"),
    path("gestion/livraison/zones/nouvelle/", views_backoffice.zone_create, name="zone_create"),
    path("gestion/livraison/zones/<int:zone_id>/", views_backoffice.zone_edit, name="zone_edit"),
    path("gestion/livraison/zones/<int:zone_id>/activation/", views_backoffice.zone_active, name="zone_active"),
    path("gestion/livraison/zones/<int:zone_id>/supprimer/", views_backoffice.zone_delete, name="zone_delete"),
    path("gestion/livraison/creneaux/", views_backoffice.slot_list, name="slot_list"),
    path("gestion/livraison/creneaux/nouveau/", views_backoffice.slot_create, name="slot_create"),
    path("gestion/livraison/creneaux/<int:slot_id>/", views_backoffice.slot_edit, name="slot_edit"),
    path("gestion/livraison/creneaux/<int:slot_id>/activation/", views_backoffice.slot_active, name="slot_active"),
]
