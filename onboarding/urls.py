"""The town's onboarding pages for its admins and agents, under /gestion/accompagnement/ (namespace "onboarding")."""

from django.urls import include, path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("onboarding.urls_pipeline")),
]
