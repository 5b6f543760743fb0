"""Impact dashboard pages, included by onboarding/urls.py under tableau-de-bord/ (names in the "onboarding" namespace)."""

from django.urls import path

from onboarding.impact import views

urlpatterns = [
    path("", views.impact, name="impact"),
    path("<slug:table>.csv", views.impact_csv, name="impact_csv"),
]
