"""The merchant's order screen (included under /gestion/mes-commandes/)."""

from django.urls import path

from checkout import views_merchant

app_name = "merchant_orders"

urlpatterns = [
    path("", views_merchant.order_list, name="list"),
    path("etat.json", views_merchant.order_list_state, name="state"),
    path("<int:merchant_order_id>/", views_merchant.order_detail, name="detail"),
    path("<int:merchant_order_id>/accepter/", views_merchant.accept, name="accept"),
    path("<int:merchant_order_id>/prete/", views_merchant.ready, name="ready"),
    path("<int:merchant_order_id>/remise/", views_merchant.hand_over, name="hand_over"),
    path("<int:merchant_order_id>/rembourser/", views_merchant.refund, name="refund"),
    path("<int:merchant_order_id>/ticket.pdf", views_merchant.ticket, name="ticket"),
    path("articles/<int:line_id>/refuser/", views_merchant.refuse_line, name="refuse_line"),
]
