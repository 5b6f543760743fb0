"""How every form of the site is drawn (``FORM_RENDERER``)."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's templates, found through the project's template settings, with one field layout for every
    form: label, control, errors, help; a check box before its label (``templates/forms/field.html``)."""

    field_template_name = "forms/field.html"
