"""Information sessions under /gestion/accompagnement/reunions/ (namespace "onboarding:sessions")."""

from django.urls import path

from onboarding.sessions import views

app_name = "sessions"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("nouvelle/", views.series_new, name="series_new"),
    path("serie/<int:series_id>/", views.series_edit, name="series_edit"),
    path("<int:occurrence_id>/", views.occurrence_detail, name="occurrence"),
    path("<int:occurrence_id>/inscrire/", views.occurrence_register, name="register"),
    path(
        "<int:occurrence_id>/inscriptions/<int:registration_id>/retirer/",
        views.occurrence_unregister,
        name="unregister",
    ),
    path("<int:occurrence_id>/presences/", views.occurrence_attendance, name="attendance"),
    path("<int:occurrence_id>/inviter/", views.occurrence_invite, name="invite"),
    path("<int:occurrence_id>/annuler/", views.occurrence_cancel, name="cancel"),
    path("<int:occurrence_id>/feuille-de-presence.pdf", views.occurrence_sheet, name="sheet"),
    path("agenda.ics", views.feed, name="feed"),
    path("agenda/nouveau-lien/", views.feed_renew, name="feed_renew"),
    # The merchant's page, opened from the invitation (no account needed: the link is signed).
    path("invitation/<str:token>/", views.invitation, name="invitation"),
]
