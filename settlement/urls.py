"""URLs of the settlement app on a town's site: payouts under /gestion/reversements/ (namespace "payouts")."""

from django.urls import path

from settlement import views_payouts

app_name = "payouts"

urlpatterns = [
    path("gestion/reversements/", views_payouts.batch_list, name="batch_list"),
    path("gestion/reversements/preparer/", views_payouts.prepare_batch, name="prepare_batch"),
    path("gestion/reversements/lots/<int:batch_id>/", views_payouts.batch_detail, name="batch_detail"),
    path("gestion/reversements/lots/<int:batch_id>/approuver/", views_payouts.approve_batch, name="approve_batch"),
    path("gestion/reversements/lots/<int:batch_id>/exporter/", views_payouts.export_batch, name="export_batch"),
    path("gestion/reversements/lots/<int:batch_id>/annuler/", views_payouts.cancel_batch, name="cancel_batch"),
    path("gestion/reversements/lots/<int:batch_id>/executer/", views_payouts.mark_executed, name="mark_executed"),
    path("gestion/reversements/lots/<int:batch_id>/fichier.xml", views_payouts.download_file, name="download_file"),
    path("gestion/reversements/releves/", views_payouts.statements, name="statements"),
    path("gestion/reversements/parametres/", views_payouts.payout_settings, name="settings"),
    path("gestion/reversements/coordonnees-bancaires/", views_payouts.bank_details_list, name="bank_details_list"),
    path(
        "gestion/reversements/coordonnees-bancaires/<slug:merchant_slug>/",
        views_payouts.bank_details_edit,
        name="bank_details_edit",
    ),
]
