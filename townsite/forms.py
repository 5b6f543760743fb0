from __future__ import annotations

from django import forms

from townsite.models import LegalPage, SiteSettings


class LegalPageForm(forms.ModelForm):
    class Meta:
        model = LegalPage
        fields = ("title", "body")


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ("sms_merchants_on_new_order",)
