"""Assisted mode, under /gestion/accompagnement/assistance/ (names prefixed ``assisted_``)."""

from django.urls import path

from onboarding.assisted import views

urlpatterns = [
    path("assistance/pour-le-compte-de/<slug:merchant_slug>/", views.start, name="assisted_start"),
    path("assistance/terminer/", views.end, name="assisted_end"),
    path("assistance/historique/<slug:merchant_slug>/", views.history, name="assisted_history"),
]
