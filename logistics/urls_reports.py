"""The delivery reports, included under /gestion/livraisons/rapports/ (namespace "logistics_reports")."""

from django.urls import path

from logistics import views_reports

urlpatterns = [
    path("", views_reports.month_report, name="month"),
    path("rapport.csv", views_reports.month_report_csv, name="month_csv"),
    path("rapport.pdf", views_reports.month_report_pdf, name="month_pdf"),
    path("preuves/<int:delivery_id>/photo/", views_reports.proof_photo, name="proof_photo"),
]
