"""URLs of the checkout app on a town's site (French paths: part of the residents' site)."""

from django.urls import path

from checkout import views, views_phone

app_name = "checkout"

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
    # The card payment link sent by SMS for an order taken by phone: short, to fit in one SMS.
    path("payer/<str:token>/", views_phone.pay_by_link, name="pay_link"),
    path("compte/commandes/", views.my_orders, name="my_orders"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/supprimer/", views.delete_account, name="delete_account"),
]
