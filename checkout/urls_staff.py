"""The town's order desk, included under /gestion/commandes/ (namespace "checkout_staff")."""

from django.urls import path

from checkout import views_staff

urlpatterns = [
    path("en-attente/", views_staff.awaiting_acceptance, name="awaiting_acceptance"),
    path("adresses-a-verifier/", views_staff.addresses_to_check, name="addresses_to_check"),
    path("notifications-echouees/", views_staff.failed_notifications, name="failed_notifications"),
    path(
        "notifications-echouees/<int:notification_id>/renvoyer/",
        views_staff.resend_notification,
        name="resend_notification",
    ),
]
