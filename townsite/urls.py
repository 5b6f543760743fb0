from django.urls import path

from townsite import views

app_name = "townsite"

urlpatterns = [
    path("pages/<slug:kind>/", views.legal_page, name="legal"),
    path("gestion/", views.manage, name="manage"),
    path("gestion/pages/<slug:kind>/", views.edit_legal_page, name="edit_legal"),
]
