from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy

from accounts.actions import invitation_token_generator, record_verified_email
from accounts.forms import SetPasswordForm


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: the invited person chooses a password, then logs in."""

    template_name = "accounts/accept_invitation.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("account_login")
    post_reset_login = False
    reset_url_token = "definir-mot-de-passe"  # noqa: S105 - a URL segment, not a password
    token_generator = invitation_token_generator

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        # The link reached this person at that address: it is confirmed.
        record_verified_email(user=form.user)
        return response
