"""The town's order desk, included under /gestion/commandes/ (namespace "checkout_staff")."""

from django.urls import path

from checkout import views_phone, views_staff

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

# Orders taken by phone or at the town-hall desk (checkout.views_phone).
urlpatterns += [
    path("telephone/", views_phone.phone_order_list, name="phone_orders"),
    path("telephone/nouvelle/", views_phone.phone_order_start, name="phone_order_start"),
    path("telephone/<int:phone_order_id>/", views_phone.phone_order_page, name="phone_order"),
    path("telephone/<int:phone_order_id>/ajouter/", views_phone.phone_order_add, name="phone_order_add"),
    path("telephone/<int:phone_order_id>/modifier/", views_phone.phone_order_update, name="phone_order_update"),
]
