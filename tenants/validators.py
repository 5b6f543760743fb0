"""Validation of town slugs, domains and colours, with messages in French for the people who type them."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tenants.branding import HEX_COLOUR, WCAG_AA_NORMAL_TEXT, contrast_with_white

SLUG_MAX_LENGTH = 40
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "static", "media", "mail", "smtp", "imap", "pop", "ftp", "ns1", "ns2",
        "console", "operateur", "operator", "public", "template", "spare", "assets", "cdn", "status",
        "app", "dashboard", "help", "aide", "support", "docs", "blog", "test", "dev", "staging",
        "localhost", "comptoir", "auth", "login", "compte", "healthz", "internal",
    }
)  # fmt: skip
DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_town_slug(slug: str) -> None:
    """Refuse what cannot be a subdomain and a schema name, explaining why in French."""
    if not slug:
        raise ValidationError(_("L'identifiant de la ville est obligatoire."), code="required")
    if len(slug) > SLUG_MAX_LENGTH:
        raise ValidationError(
            _("L'identifiant « %(slug)s » est trop long : %(max)d caractères au plus.")
            % {"slug": slug, "max": SLUG_MAX_LENGTH},
            code="too_long",
        )
    if slug.startswith(("pg_", "pg-")):
        raise ValidationError(
            _("L'identifiant ne peut pas commencer par « pg_ » ou « pg- » (réservé par PostgreSQL)."),
            code="reserved_prefix",
        )
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            _(
                "L'identifiant « %(slug)s » n'est pas valide : utilisez uniquement des lettres minuscules "
                "sans accent, des chiffres et des tirets (par exemple « saint-omer »), sans espace ni "
                "tiret au début ou à la fin."
            )
            % {"slug": slug},
            code="invalid",
        )
    if "--" in slug:
        raise ValidationError(_("L'identifiant ne peut pas contenir deux tirets de suite."), code="invalid")
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            _("L'identifiant « %(slug)s » est réservé par la plateforme ; choisissez-en un autre.") % {"slug": slug},
            code="reserved",
        )


def normalise_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def validate_domain_name(domain: str) -> None:
    """A fully qualified host name: labels of letters, digits and hyphens, at least one dot."""
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise ValidationError(
            _("« %(domain)s » n'est pas un nom de domaine valide (exemple : monshoppingcestcalais.fr).")
            % {"domain": domain},
            code="invalid_domain",
        )
    if labels[-1].isdigit():
        raise ValidationError(_("Une adresse IP n'est pas un nom de domaine."), code="invalid_domain")


def validate_brand_colour(colour: str) -> None:
    """The colour must be #rrggbb and white text on it must reach WCAG AA contrast (4.5:1)."""
    if not HEX_COLOUR.match(colour or ""):
        raise ValidationError(
            _("« %(colour)s » n'est pas une couleur au format #RRVVBB (exemple : #0055a4).") % {"colour": colour},
            code="invalid_colour",
        )
    ratio = contrast_with_white(colour)
    if ratio < WCAG_AA_NORMAL_TEXT:
        raise ValidationError(
            _(
                "La couleur %(colour)s est trop claire : un texte blanc posé dessus n'atteint qu'un "
                "contraste de %(ratio)s:1, alors que les règles d'accessibilité (RGAA / WCAG AA) "
                "demandent au moins 4,5:1. Choisissez une teinte plus foncée."
            )
            % {"colour": colour, "ratio": f"{ratio:.2f}".replace(".", ",")},
            code="low_contrast",
        )


def validate_insee_code(code: str) -> None:
    """INSEE commune codes: 5 characters, digits, or 2A/2B for Corsica."""
    if not re.match(r"^(?:\d{5}|2[AB]\d{3})$", code):
        raise ValidationError(
            _("« %(code)s » n'est pas un code INSEE de commune (5 caractères, par exemple 62193).") % {"code": code},
            code="invalid_insee",
        )
