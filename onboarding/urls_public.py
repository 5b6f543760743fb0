"""The town site's public onboarding page (namespace "onboarding_public"), mounted at the site's root."""

from django.urls import path

from onboarding import views_public

app_name = "onboarding_public"

urlpatterns = [
    path("vendre-sur-la-place-de-marche/", views_public.apply, name="apply"),
    path("vendre-sur-la-place-de-marche/merci/", views_public.apply_done, name="apply_done"),
]
