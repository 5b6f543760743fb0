"""The agreement pages of the onboarding desk, under /gestion/accompagnement/convention/ (namespace "onboarding")."""

from django.urls import path

from onboarding import views_agreements

urlpatterns = [
    path("", views_agreements.agreement_home, name="agreement"),
    path("<slug:merchant_slug>/papier/", views_agreements.paper_agreement, name="paper_agreement"),
]
