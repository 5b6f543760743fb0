"""Agents' pages for new businesses, included in onboarding/urls.py (namespace "onboarding")."""

from django.urls import path

from onboarding import views_applications, views_intake

urlpatterns = [
    path("commerces/nouveau/", views_intake.prospect_new, name="prospect_new"),
    path("candidatures/", views_applications.application_list, name="applications"),
    path(
        "candidatures/<int:application_id>/verifiee/",
        views_applications.application_checked,
        name="application_checked",
    ),
    path("naf/", views_intake.naf_rules, name="naf_rules"),
    path("naf/nouvelle/", views_intake.naf_rule_edit, name="naf_rule_new"),
    path("naf/<int:rule_id>/", views_intake.naf_rule_edit, name="naf_rule_edit"),
    path("naf/<int:rule_id>/supprimer/", views_intake.naf_rule_delete, name="naf_rule_delete"),
]
