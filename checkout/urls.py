"""URLs of the checkout app on a town's site (French paths: part of the residents' site)."""

from django.urls import path

from checkout import views, views_merchant

app_name = "checkout"

merchant_patterns = (
    [
        path("", views_merchant.order_list, name="list"),
        path("<int:merchant_order_id>/", views_merchant.order_detail, name="detail"),
        path("<int:merchant_order_id>/accepter/", views_merchant.accept, name="accept"),
        path("<int:merchant_order_id>/prete/", views_merchant.ready, name="ready"),
        path("<int:merchant_order_id>/remise/", views_merchant.hand_over, name="hand_over"),
        path("<int:merchant_order_id>/rembourser/", views_merchant.refund, name="refund"),
        path("<int:merchant_order_id>/ticket.pdf", views_merchant.ticket, name="ticket"),
        path("articles/<int:line_id>/refuser/", views_merchant.refuse_line, name="refuse_line"),
    ],
    "merchant_orders",
)

urlpatterns = [
    path("panier/", views.basket_page, name="basket"),
    path("panier/ajouter/", views.basket_add, name="basket_add"),
    path("panier/modifier/", views.basket_update, name="basket_update"),
    path("commande/", views.checkout_page, name="checkout"),
    path("commande/<uuid:public_id>/paiement/", views.payment_page, name="payment"),
    path("commande/<uuid:public_id>/paiement-test/", views.test_gateway_pay, name="test_gateway_pay"),
    path("commande/<uuid:public_id>/retour/", views.payment_return, name="payment_return"),
    path("commande/<uuid:public_id>/confirmation/", views.confirmation_page, name="confirmation"),
    path("commande/suivi/<str:token>/", views.status_page, name="status"),
    path("compte/commandes/", views.my_orders, name="my_orders"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/supprimer/", views.delete_account, name="delete_account"),
]
