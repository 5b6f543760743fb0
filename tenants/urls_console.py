from django.urls import path

from tenants import views

app_name = "console"

urlpatterns = [
    path("", views.town_list, name="town_list"),
    path("villes/nouvelle/", views.town_create, name="town_create"),
    path("villes/<slug:slug>/", views.town_edit, name="town_edit"),
    path("villes/<slug:slug>/suspendre/", views.town_suspend, name="town_suspend"),
    path("villes/<slug:slug>/reprendre/", views.town_resume, name="town_resume"),
]
