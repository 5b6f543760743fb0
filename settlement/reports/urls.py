"""Finance pages, included under /gestion/finances/ (namespace "finance")."""

from django.urls import path

from settlement.reports import views

urlpatterns = [
    path("", views.finance_dashboard, name="dashboard"),
    path("ventes-par-commercant.csv", views.merchant_sales_csv, name="merchant_sales_csv"),
    path("ventes-par-periode.csv", views.period_sales_csv, name="period_sales_csv"),
    path("journal.csv", views.journal_csv, name="journal_csv"),
    path("reversements/<int:batch_id>/etat.pdf", views.payout_statement_pdf, name="payout_statement_pdf"),
    path("reversements/<int:batch_id>/etat.csv", views.payout_statement_csv, name="payout_statement_csv"),
    path("releves/", views.statement_index, name="statement_index"),
    path("releves/<slug:merchant_slug>/", views.statement_list, name="statement_list"),
    path(
        "releves/<slug:merchant_slug>/<int:year>-<int:month>.pdf",
        views.monthly_statement_pdf,
        name="monthly_statement_pdf",
    ),
    path(
        "releves/<slug:merchant_slug>/<int:year>-<int:month>.csv",
        views.monthly_statement_csv,
        name="monthly_statement_csv",
    ),
    path("releves/<slug:merchant_slug>/lot-<int:batch_id>.pdf", views.batch_statement_pdf, name="batch_statement_pdf"),
    path("releves/<slug:merchant_slug>/lot-<int:batch_id>.csv", views.batch_statement_csv, name="batch_statement_csv"),
]
