"""From a business's NAF code (its activity in the national company directory) to how the town files it.

One function for every way a business arrives (file import, directory lookup, the public application
form): ``NafClassifier.classify``. The town's own rules (``NafRule``, editable) come first; the
platform's defaults below cover the activities of a town centre. The longest matching start wins, so
"4781Z" (market stalls) beats "47" (retail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from catalog.models import MerchantKind
from onboarding.models import NafRule

# (code start without the dot, kind, what it is) — NAF rév. 2, INSEE.
DEFAULT_RULES: tuple[tuple[str, str, object], ...] = (
    ("10", MerchantKind.ARTISAN, _("Industries alimentaires (boulangers, charcutiers, chocolatiers…)")),
    ("1071", MerchantKind.ARTISAN, _("Boulangerie et pâtisserie")),
    ("1013B", MerchantKind.ARTISAN, _("Charcuterie")),
    ("14", MerchantKind.ARTISAN, _("Confection de vêtements")),
    ("31", MerchantKind.ARTISAN, _("Fabrication de meubles")),
    ("32", MerchantKind.ARTISAN, _("Bijouterie, jouets, autres fabrications")),
    ("43", MerchantKind.ARTISAN, _("Artisans du bâtiment")),
    ("47", MerchantKind.SHOP, _("Commerce de détail")),
    ("4711", MerchantKind.SHOP, _("Magasins d’alimentation générale et supérettes")),
    ("4711F", MerchantKind.PARTNER_SUPERMARKET, _("Hypermarchés")),
    ("4711D", MerchantKind.PARTNER_SUPERMARKET, _("Supermarchés")),
    ("4781", MerchantKind.MARKET_TRADER, _("Commerce alimentaire sur éventaires et marchés")),
    ("4782", MerchantKind.MARKET_TRADER, _("Textile et chaussures sur éventaires et marchés")),
    ("4789", MerchantKind.MARKET_TRADER, _("Autres commerces sur éventaires et marchés")),
    ("55", MerchantKind.RESTAURANT, _("Hébergement")),
    ("56", MerchantKind.RESTAURANT, _("Restauration et débits de boissons")),
    ("6831", MerchantKind.ESTATE_AGENT, _("Agences immobilières")),
    ("94", MerchantKind.ASSOCIATION, _("Associations et organisations")),
    ("95", MerchantKind.ARTISAN, _("Réparation d’ordinateurs et de biens personnels")),
    ("9602", MerchantKind.ARTISAN, _("Coiffure et soins de beauté")),
)

_NAF_PATTERN = re.compile(r"^([0-9]{2})\.?([0-9]{0,2})([A-Z]?)$")


def normalise_naf(code: str) -> str:
    """ "47.24Z", "47 24 z", "4724z" → "4724Z"; "" for anything that is not a NAF code or its start."""
    compact = re.sub(r"[\s.]", "", code or "").upper()
    match = _NAF_PATTERN.match(compact)
    if not match or (match.group(3) and len(match.group(2)) != 2):
        return ""
    return compact


def display_naf(code: str) -> str:
    """ "4724Z" → "47.24Z", as the directory and the INSEE write it."""
    return f"{code[:2]}.{code[2:]}" if len(code) > 2 else code


@dataclass(frozen=True)
class NafClass:
    kind: str
    category_id: int | None
    # The rule's code that matched ("" when none did: a shop by default).
    matched: str
    is_town_rule: bool


class NafClassifier:
    """The town's rules read once, then any number of codes classified without a query (imports of 5,000 rows)."""

    def __init__(self) -> None:
        self.town_rules = {rule.code: rule for rule in NafRule.objects.all()}

    def classify(self, naf_code: str) -> NafClass:
        code = normalise_naf(naf_code)
        defaults = {start: kind for start, kind, _label in DEFAULT_RULES}
        for length in range(len(code), 1, -1):
            start = code[:length]
            if start in self.town_rules:
                rule = self.town_rules[start]
                return NafClass(kind=rule.kind, category_id=rule.category_id, matched=start, is_town_rule=True)
            if start in defaults:
                return NafClass(kind=defaults[start], category_id=None, matched=start, is_town_rule=False)
        return NafClass(kind=MerchantKind.SHOP, category_id=None, matched="", is_town_rule=False)


def classify_naf(naf_code: str) -> NafClass:
    """How the town files one business of this activity (one query)."""
    return NafClassifier().classify(naf_code)
