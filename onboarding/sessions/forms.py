"""Forms of the sessions pages (town staff)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onboarding.models import Prospect, Step
from onboarding.sessions.models import InvitationChannel, Recurrence, SessionSeries, Weekday


class SeriesForm(forms.ModelForm):
    """A session once, or every week on a weekday (the time is the town's clock)."""

    class Meta:
        model = SessionSeries
        fields = (
            "title",
            "description",
            "place",
            "recurrence",
            "start_date",
            "weekday",
            "end_date",
            "start_time",
            "duration_minutes",
            "capacity",
        )
        widgets = {
            "recurrence": forms.RadioSelect,
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "weekday": _(
                "Pour une réunion hebdomadaire : elle a lieu ce jour-là chaque semaine, à partir de la première date."
            ),
            "end_date": _("Pour une réunion hebdomadaire ; laisser vide : sans fin."),
            "start_time": _("Heure de la ville (elle ne bouge pas au changement d’heure)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["weekday"]).choices = [("", "—"), *Weekday.choices]
        cast(forms.ChoiceField, self.fields["recurrence"]).choices = Recurrence.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("recurrence") == Recurrence.WEEKLY and data.get("weekday") is None and data.get("start_date"):
            data["weekday"] = data["start_date"].weekday()
        return data

    def _post_clean(self) -> None:
        # The action validates the whole series (weekday rules included): the model is not checked twice here.
        pass


class ProspectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.merchant.name} — {obj.get_step_display()}"


class ProspectMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.merchant.name} — {obj.get_step_display()}"


class RegisterForm(forms.Form):
    prospect = ProspectChoiceField(queryset=Prospect.objects.none(), label=_("Commerce"))

    def __init__(self, *args: Any, prospects: QuerySet[Prospect], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["prospect"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = prospects


class InviteForm(forms.Form):
    """Whom to invite: every business at a step, and/or businesses picked one by one; how."""

    step = forms.ChoiceField(
        label=_("Tous les commerces à l’étape"), required=False, choices=[("", "—"), *Step.choices]
    )
    prospects = ProspectMultipleChoiceField(
        queryset=Prospect.objects.none(),
        label=_("Ou ces commerces"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    channels = forms.MultipleChoiceField(
        label=_("Envoyer par"),
        choices=InvitationChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[InvitationChannel.EMAIL],
    )

    def __init__(self, *args: Any, prospects: QuerySet[Prospect], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["prospects"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101
        field.queryset = prospects
        self._all = prospects

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("step") and not data.get("prospects"):
            raise forms.ValidationError(_("Choisissez une étape ou des commerces à inviter."))
        return data

    def chosen(self) -> list[Prospect]:
        picked = {p.pk: p for p in self.cleaned_data.get("prospects") or []}
        if step := self.cleaned_data.get("step"):
            picked.update({p.pk: p for p in self._all.filter(step=step)})
        return sorted(picked.values(), key=lambda p: (p.merchant.name, p.pk))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif (transmis aux inscrits)"), max_length=300, required=False, widget=forms.TextInput
    )
