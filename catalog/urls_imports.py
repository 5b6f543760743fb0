from django.urls import path

from catalog import views_imports

app_name = "imports"

urlpatterns = [
    path("", views_imports.import_list, name="list"),
    path("<int:job_id>/", views_imports.job_detail, name="job"),
    path("export/<slug:merchant_slug>.csv", views_imports.export_csv, name="export"),
    path("jeton-api/", views_imports.api_token, name="api_token"),
]
