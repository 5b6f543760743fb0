from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitation/<str:token>/", views.accept_invitation, name="invitation"),
    path("gestion/personnes/", views.people, name="people"),
    path("gestion/personnes/inviter/", views.invite, name="invite"),
    path("gestion/personnes/journal/", views.journal, name="journal"),
    path("gestion/personnes/<int:person_id>/", views.person, name="person"),
    path("gestion/personnes/<int:person_id>/activation/", views.person_active, name="person_active"),
    path("gestion/personnes/<int:person_id>/role/", views.person_role, name="person_role"),
    path(
        "gestion/personnes/invitations/<int:invitation_id>/renvoyer/", views.invitation_resend, name="invitation_resend"
    ),
    path(
        "gestion/personnes/invitations/<int:invitation_id>/annuler/", views.invitation_cancel, name="invitation_cancel"
    ),
]
