"""The town's onboarding pages for its admins and agents, under /gestion/accompagnement/ (namespace "onboarding")."""

from django.urls import include, path

from onboarding import views, views_imports

app_name = "onboarding"

urlpatterns = [
    path("", views.home, name="home"),
    path("import/", views_imports.import_prospects_page, name="import"),
    path("", include("onboarding.urls_intake")),
    path("affiches/", include("onboarding.posters.urls")),
    path("tableau-de-bord/", include("onboarding.impact.urls")),
    path("reunions/", include("onboarding.sessions.urls")),
    path("", include("onboarding.urls_assisted")),
    path("", include("onboarding.urls_pipeline")),
    path("convention/", include("onboarding.urls_agreements")),
]
