from __future__ import annotations

from django import forms

from townsite.models import LegalPage


class LegalPageForm(forms.ModelForm):
    class Meta:
        model = LegalPage
        fields = ("title", "body")
