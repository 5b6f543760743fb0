"""The town admin's look of the site and home page, at /gestion/apparence/ (namespace "homepage")."""

from django.urls import path

from catalog import views_homepage as views

app_name = "homepage"

urlpatterns = [
    path("", views.appearance, name="appearance"),
    path("blocs/nouveau/<slug:kind>/", views.block_create, name="block_create"),
    path("blocs/<int:block_id>/", views.block_edit, name="block_edit"),
    path("blocs/<int:block_id>/deplacer/", views.block_move, name="block_move"),
    path("blocs/<int:block_id>/supprimer/", views.block_delete, name="block_delete"),
    path("apercu/", views.preview, name="preview"),
    path("publier/", views.publish, name="publish"),
]
