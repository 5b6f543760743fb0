"""The resident's page after a failed delivery (namespace ``logistics_resident``), reached by a signed link."""

from django.urls import path

from logistics import views_resident

app_name = "logistics_resident"

urlpatterns = [
    path("livraison/nouvel-essai/<str:token>/", views_resident.reschedule, name="reschedule"),
]
