"""Forms of the pipeline pages: moving a prospect, following it up, filtering the list, the settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from catalog.models import MerchantKind
from onboarding.board import NO_AGENT, ProspectFilters, agent_name
from onboarding.models import STEPS_WITH_REASON, OnboardingSettings, ProspectSource, Step

REASON_REQUIRED = _("Indiquez le motif de la pause ou du refus.")


class MoveForm(forms.Form):
    to_step = forms.ChoiceField(label=_("Nouvelle étape"), choices=Step.choices)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        required=False,
        help_text=_("Obligatoire pour une pause ou un refus."),
    )
    # Where to go back to after the move (the board or the prospect's page).
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = (cleaned.get("reason") or "").strip()
        cleaned["reason"] = reason
        if cleaned.get("to_step") in STEPS_WITH_REASON and not reason:
            self.add_error("reason", REASON_REQUIRED)
        return cleaned


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return agent_name(obj)


class FollowUpForm(forms.Form):
    contact_name = forms.CharField(label=_("Personne à contacter"), max_length=120, required=False)
    agent = AgentChoiceField(
        label=_("Agent référent"), queryset=User.objects.none(), required=False, empty_label=_("Aucun")
    )
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = staff  # type: ignore[attr-defined]


def _with_blank(label: object, choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class ProspectFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou SIRET"), required=False, max_length=100)
    step = forms.ChoiceField(label=_("Étape"), required=False, choices=_with_blank(_("Toutes"), Step.choices))
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=_with_blank(_("Tous"), MerchantKind.choices))
    agent = forms.ChoiceField(label=_("Agent référent"), required=False)
    source = forms.ChoiceField(
        label=_("Origine"), required=False, choices=_with_blank(_("Toutes"), ProspectSource.choices)
    )
    stalled = forms.BooleanField(label=_("Sans mouvement seulement"), required=False)

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [  # type: ignore[attr-defined]
            ("", _("Tous")),
            (NO_AGENT, _("Sans agent référent")),
            *((str(user.pk), agent_name(user)) for user in staff),
        ]

    def filters(self) -> ProspectFilters:
        """The filters asked for; an invalid value is ignored (the list then shows everything)."""
        if not self.is_valid():
            return ProspectFilters()
        data = self.cleaned_data
        return ProspectFilters(
            step=data["step"],
            kind=data["kind"],
            agent=data["agent"],
            source=data["source"],
            stalled_only=bool(data["stalled"]),
            text=data["q"],
        )


class OnboardingSettingsForm(forms.ModelForm):
    class Meta:
        model = OnboardingSettings
        fields = ("stalled_after_days", "send_daily_digest")

    def __init__(self, *args: Any, read_only: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stalled_after_days"].widget.attrs.update({"min": 1, "max": 365})
        if read_only:
            for form_field in self.fields.values():
                form_field.disabled = True

    def clean_stalled_after_days(self) -> int:
        days = self.cleaned_data["stalled_after_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Indiquez un nombre de jours entre 1 et 365."))
        return days
