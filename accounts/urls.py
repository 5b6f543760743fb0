from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("compte/invitation/<uidb64>/<token>/", views.AcceptInvitationView.as_view(), name="accept_invitation"),
]
