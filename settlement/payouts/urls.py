"""URLs of the settlement app on a town's site: payouts under /gestion/reversements/ (namespace "payouts")."""

from django.urls import path

from settlement.agreements import views as agreement_views
from settlement.payouts import views

app_name = "payouts"

urlpatterns = [
    path("gestion/reversements/", views.batch_list, name="batch_list"),
    path("gestion/reversements/preparer/", views.prepare_batch, name="prepare_batch"),
    path("gestion/reversements/lots/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("gestion/reversements/lots/<int:batch_id>/approuver/", views.approve_batch, name="approve_batch"),
    path("gestion/reversements/lots/<int:batch_id>/exporter/", views.export_batch, name="export_batch"),
    path("gestion/reversements/lots/<int:batch_id>/annuler/", views.cancel_batch, name="cancel_batch"),
    path("gestion/reversements/lots/<int:batch_id>/executer/", views.mark_executed, name="mark_executed"),
    path("gestion/reversements/lots/<int:batch_id>/fichier.xml", views.download_file, name="download_file"),
    path("gestion/reversements/releves/", views.statements, name="statements"),
    path("gestion/reversements/parametres/", views.payout_settings, name="settings"),
    path("gestion/reversements/coordonnees-bancaires/", views.bank_details_list, name="bank_details_list"),
    path(
        "gestion/reversements/coordonnees-bancaires/<slug:merchant_slug>/",
        views.bank_details_edit,
        name="bank_details_edit",
    ),
    path("gestion/reversements/convention/<slug:merchant_slug>/", agreement_views.merchant_agreement, name="agreement"),
    path(
        "gestion/reversements/convention/<slug:merchant_slug>/documents/<int:acceptance_id>/",
        agreement_views.acceptance_document,
        name="agreement_document",
    ),
]
