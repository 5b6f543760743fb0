"""Posters pages, included by onboarding/urls.py under affiches/ (names in the "onboarding" namespace)."""

from django.urls import path

from onboarding.posters import views

urlpatterns = [
    path("", views.posters, name="posters"),
    path("<int:batch_id>/", views.poster_batch, name="poster_batch"),
    path("<int:batch_id>/pdf/", views.poster_download, name="poster_download"),
    path("<int:batch_id>/relancer/", views.poster_retry, name="poster_retry"),
]
