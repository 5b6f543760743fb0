from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Role, User


class InviteForm(forms.Form):
    """Whom to invite: an e-mail address, or a mobile number when the person has no e-mail."""

    email = forms.EmailField(label=_("Adresse e-mail"), required=False)
    phone = forms.CharField(
        label=_("Téléphone mobile"),
        required=False,
        max_length=20,
        help_text=_("Seulement si la personne n'a pas d'adresse e-mail : l'invitation part alors par SMS."),
    )
    role = forms.ChoiceField(label=_("Rôle"))

    def __init__(self, *args: Any, roles: list[Role] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if roles is None:
            del self.fields["role"]
        else:
            cast(forms.ChoiceField, self.fields["role"]).choices = [(role.value, role.label) for role in roles]
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("Indiquez une adresse e-mail ou, à défaut, un numéro de mobile."))
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Nouveau rôle"))

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(role.value, role.label) for role in roles]


class AcceptInvitationForm(forms.Form):
    """The invited person's name and password (Django's password rules); their e-mail if invited by SMS."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"), help_text=_("Elle vous servira à vous connecter."))
    new_password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 10 caractères, que vous n'utilisez pas ailleurs."),
    )
    new_password2 = forms.CharField(
        label=_("Mot de passe (encore une fois)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        if invitation.email:
            del self.fields["email"]
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("Les deux mots de passe ne sont pas identiques."))
        elif first:
            # The rules see the person as they will be (a password close to their name is refused).
            candidate = User(
                email=self.invitation.email or data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return data
