"""Catalogue back-office, at /gestion/catalogue/ on every town site."""

from django.urls import path

from catalog import views_backoffice as views
from catalog import views_photo_shoot

app_name = "backoffice"

urlpatterns = [
    path("", views.merchant_list, name="merchant_list"),
    path("nouveau-commercant/", views.merchant_create, name="merchant_create"),
    path("commercants/<slug:merchant_slug>/", views.merchant_edit, name="merchant_edit"),
    path("commercants/<slug:merchant_slug>/personnes/", views.merchant_invite, name="merchant_invite"),
    path("commercants/<slug:merchant_slug>/horaires/", views.merchant_hours, name="merchant_hours"),
    path("commercants/<slug:merchant_slug>/fermetures/", views.closure_add, name="closure_add"),
    path("commercants/<slug:merchant_slug>/photos/", views.merchant_photos, name="merchant_photos"),
    path("commercants/<slug:merchant_slug>/logo-couverture/", views.merchant_images, name="merchant_images"),
    path("commercants/<slug:merchant_slug>/produits/", views.product_list, name="product_list"),
    path("commercants/<slug:merchant_slug>/produits/nouveau/", views.product_create, name="product_create"),
    path("fermetures/<int:closure_id>/supprimer/", views.closure_delete, name="closure_delete"),
    path("produits/<int:product_id>/", views.product_edit, name="product_edit"),
    path("produits/<int:product_id>/publication/", views.product_publication, name="product_publication"),
    path("produits/<int:product_id>/photos/", views.product_photos, name="product_photos"),
    path("produits/<int:product_id>/declinaisons/nouvelle/", views.variant_create, name="variant_create"),
    path("declinaisons/<int:variant_id>/", views.variant_edit, name="variant_edit"),
    path("declinaisons/<int:variant_id>/stock/", views.variant_stock, name="variant_stock"),
    path("declinaisons/<int:variant_id>/supprimer/", views.variant_delete, name="variant_delete"),
    path("photos/<int:photo_id>/description/", views.photo_alt_text, name="photo_alt_text"),
    path("photos/<int:photo_id>/deplacer/", views.photo_move, name="photo_move"),
    path("photos/<int:photo_id>/supprimer/", views.photo_delete, name="photo_delete"),
    path("commercants/<slug:merchant_slug>/seance-photo/", views_photo_shoot.photo_shoot, name="photo_shoot"),
    path(
        "commercants/<slug:merchant_slug>/seance-photo/envoi/",
        views_photo_shoot.photo_shoot_upload,
        name="photo_shoot_upload",
    ),
    path(
        "commercants/<slug:merchant_slug>/a-completer/", views_photo_shoot.drafts_to_complete, name="drafts_to_complete"
    ),
    path("produits/<int:product_id>/completer/", views_photo_shoot.draft_complete, name="draft_complete"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/nouvelle/", views.category_create, name="category_create"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("categories/<int:category_id>/supprimer/", views.category_delete, name="category_delete"),
]
