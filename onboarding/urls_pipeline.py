"""The pipeline pages, included in the "onboarding" namespace (/gestion/accompagnement/)."""

from django.urls import path

from onboarding import views_pipeline as views

urlpatterns = [
    path("tableau/", views.board, name="board"),
    path("commerces/", views.prospect_list, name="prospects"),
    path("commerces/<int:prospect_id>/", views.prospect_detail, name="prospect"),
    path("commerces/<int:prospect_id>/etape/", views.prospect_move, name="prospect_move"),
    path("reglages/", views.pipeline_settings, name="settings"),
]
