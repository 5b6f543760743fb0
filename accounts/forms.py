from __future__ import annotations

from django.contrib.auth import forms as auth_forms


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Django's form, kept as its own class so the invitation page can evolve apart from resets."""
