"""Demonstration catalogue: believable French local commerce for one town, generated from a seed.

Used by ``seed_demo_catalog`` (the demo towns of ``make run``), the storefront benchmark and the
tests. Everything comes from one ``random.Random(seed)``: the same parameters give the same town.
Rows are written with ``bulk_create`` in chunks and the search vectors are computed in a few set
statements afterwards, so 6,000 products take seconds and 42,000 well under a few minutes.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import NamedTuple, TypeVar

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from stdnum import ean as stdnum_ean
from stdnum import luhn

from catalog.actions import refresh_search_vectors, seed_default_categories
from catalog.models import (
    Category,
    Closure,
    Merchant,
    MerchantKind,
    MerchantStatus,
    OpeningPeriod,
    Product,
    SaleUnit,
    Variant,
    VatRate,
)

Progress = Callable[[str], None]
T = TypeVar("T")
CHUNK = 2_000

# --- towns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownProfile:
    city: str
    postcode: str
    insee_code: str
    latitude: float
    longitude: float
    phone_prefix: str  # the two digits after 03 of local landlines
    streets: tuple[str, ...]
    districts: tuple[str, ...]  # with their preposition: "du Courgain", "des Fontinettes"
    surnames: tuple[str, ...]
    merchants: int
    products: int
    supermarket_products: int
    showcase_share: float  # share of merchants that do not sell online
    trade_weights: dict[str, float]
    other_trades_factor: float  # weight multiplier of the trades not listed in trade_weights
    supermarket_name: str
    market_days: tuple[int, ...]  # weekdays of the town's market


COMMON_SURNAMES = (
    "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefebvre", "Leroy", "Roux", "Fournier",
    "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre",
    "Faure", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
    "Gauthier", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
)  # fmt: skip
FIRST_NAMES = (
    "Marie", "Jean", "Sophie", "Pierre", "Camille", "Julien", "Nathalie", "Thomas", "Isabelle",
    "Nicolas", "Sandrine", "Laurent", "Céline", "Franck", "Aurélie", "Mathieu", "Élodie", "Hervé",
    "Chloé", "Bruno", "Manon", "Hugo", "Léa", "Antoine", "Pauline", "Sébastien", "Inès", "Karim",
)  # fmt: skip

PROFILES: dict[str, TownProfile] = {
    "calais": TownProfile(
        city="Calais",
        postcode="62100",
        insee_code="62193",
        latitude=50.9513,
        longitude=1.8587,
        phone_prefix="21",
        streets=(
            "boulevard Jacquard",
            "rue Royale",
            "place d'Armes",
            "boulevard Lafayette",
            "boulevard Gambetta",
            "rue Mollien",
            "rue des Thermes",
            "rue de la Mer",
            "rue Neuve",
            "rue du Duc de Guise",
            "rue Jean Quéhen",
            "rue Aristide Briand",
            "rue Paul Bert",
            "rue Galilée",
            "rue des Fontinettes",
            "avenue Louis Blériot",
            "rue de Cronstadt",
            "boulevard Victor Hugo",
            "rue Auber",
            "quai de la Loire",
            "rue du Temple",
            "place Crèvecœur",
            "rue Édison",
            "rue des Soupirants",
            "boulevard de l'Égalité",
            "rue Mouron",
            "rue Gaillard",
            "avenue Saint-Exupéry",
        ),
        districts=(
            "du Courgain",
            "de Saint-Pierre",
            "des Fontinettes",
            "du Beau-Marais",
            "du Petit-Courgain",
            "de Calais-Nord",
            "du Pont-du-Leu",
            "du Virval",
            "du Beffroi",
            "du Front de Mer",
            "du Phare",
        ),
        surnames=(
            "Delattre",
            "Vasseur",
            "Delannoy",
            "Lecomte",
            "Caron",
            "Duhamel",
            "Wimet",
            "Dewaele",
            "Vandenbussche",
            "Coppin",
            "Lengagne",
            "Fasquel",
            "Lemaire",
            "Bertin",
            "Leclercq",
            "Hénon",
            "Boulanger",
            "Outrebon",
            "Decroix",
            "Wallart",
            "Everaere",
            "Verhaeghe",
            "Hochart",
            "Ducrocq",
        ),
        merchants=120,
        products=6_000,
        supermarket_products=3_000,
        showcase_share=0.2,
        trade_weights={},
        other_trades_factor=1.0,
        supermarket_name="Supermarché Les Halles du Beau-Marais",
        market_days=(2, 5),
    ),
    "luzy": TownProfile(
        city="Luzy",
        postcode="58170",
        insee_code="58149",
        latitude=46.7894,
        longitude=3.9694,
        phone_prefix="86",
        streets=(
            "rue de la République",
            "place de l'Hôtel de Ville",
            "avenue du 8 Mai 1945",
            "Grande Rue",
            "rue du Docteur Dollet",
            "rue des Fossés",
            "route de Moulins",
            "route d'Autun",
            "rue du Champ de Foire",
            "place Chanzy",
            "rue de l'Église",
            "rue du Pont",
            "chemin des Vignes",
            "route de Fours",
            "rue de la Gare",
            "place du Marché",
        ),
        districts=(
            "du Morvan",
            "de l'Alène",
            "du Champ de Foire",
            "du Pont",
            "du Bourg",
            "de la Gare",
            "du Mont Dardon",
        ),
        surnames=(
            "Guillemin",
            "Bonnot",
            "Ravier",
            "Lorin",
            "Page",
            "Guyot",
            "Bouchard",
            "Desbrosses",
            "Perraudin",
            "Chaumereuil",
            "Lagoutte",
            "Poirier",
            "Berthier",
            "Jacob",
            "Ballot",
            "Moncharmont",
            "Gueugnon",
        ),
        merchants=130,
        products=1_400,
        supermarket_products=500,
        showcase_share=0.55,
        trade_weights={
            "building": 9.0,
            "association": 9.0,
            "estate": 2.5,
            "restaurant": 3.0,
            "cafe": 2.0,
            "market_veg": 2.5,
            "beekeeper": 1.5,
            "farm_cheese": 1.5,
            "potter": 1.5,
            "carpenter": 2.0,
            "clothes_women": 0.5,
            "clothes_men": 0.3,
            "shoes": 0.3,
            "toys": 0.3,
            "music": 0.2,
            "lace": 0.0,
            "fish": 0.5,
        },
        other_trades_factor=0.4,
        supermarket_name="Supermarché du Morvan",
        market_days=(4,),
    ),
}

# --- products ------------------------------------------------------------------------------------


class Item(NamedTuple):
    title: str
    low_cents: int
    high_cents: int
    sale: str = "piece"  # "piece", "kg", "litre" or a content such as "500 g", "75 cl"
    vat: int | None = None  # overrides the family's rate
    alcohol: bool | None = None


@dataclass(frozen=True)
class Family:
    category: str  # slug in the default tree
    vat: int
    items: tuple[Item, ...]
    qualifiers: tuple[tuple[str, float], ...] = (("", 1.0),)
    perishable: bool = False
    alcohol: bool = False
    tracked: bool = True  # stock counted, else made to order / service
    ean_share: float = 0.0
    descriptions: tuple[str, ...] = ()


FOOD = VatRate.REDUCED
TAKEAWAY = VatRate.INTERMEDIATE
STANDARD = VatRate.STANDARD
PRESS = VatRate.SUPER_REDUCED

COLOURS = (
    ("", 1.0), (" bleu marine", 1.0), (" écru", 1.0), (" noir", 1.0), (" rouge brique", 1.0),
    (" vert sapin", 1.0), (" camel", 1.05), (" gris chiné", 1.0), (" moutarde", 1.0),
)  # fmt: skip
LOCAL = (("", 1.0), (" bio", 1.25), (" (producteur local)", 1.1))

FAMILIES: dict[str, Family] = {
    "bread": Family(
        "alimentation-boulangerie-et-patisserie",
        FOOD,
        (
            Item("Baguette de tradition", 115, 140),
            Item("Pain de campagne", 280, 380, "400 g"),
            Item("Pain complet", 250, 330, "400 g"),
            Item("Pain aux céréales", 290, 390, "400 g"),
            Item("Pain au levain", 320, 450, "500 g"),
            Item("Pain de seigle", 300, 400, "400 g"),
            Item("Pavé aux noix", 350, 480, "350 g"),
            Item("Ficelle", 90, 120),
            Item("Pain de mie", 260, 340, "500 g"),
            Item("Fougasse aux olives", 320, 420),
            Item("Pain d'épeautre", 380, 480, "400 g"),
            Item("Cramique aux raisins", 450, 650, "500 g"),
            Item("Pain brié", 300, 380),
            Item("Boule de meule", 350, 450, "500 g"),
        ),
        (("", 1.0), (" bio", 1.2), (" tranché", 1.05), (" grand modèle", 1.7)),
        perishable=True,
        tracked=False,
        descriptions=(
            "Façonné à la main et cuit chaque matin dans notre fournil.",
            "Farine de meule du moulin voisin, longue fermentation.",
            "À commander la veille pour le lendemain matin.",
        ),
    ),
    "pastry": Family(
        "alimentation-boulangerie-et-patisserie",
        FOOD,
        (
            Item("Croissant pur beurre", 110, 150),
            Item("Pain au chocolat", 120, 160),
            Item("Pain aux raisins", 130, 170),
            Item("Chausson aux pommes", 150, 200),
            Item("Éclair au café", 250, 330),
            Item("Éclair au chocolat", 250, 330),
            Item("Religieuse", 300, 380),
            Item("Tarte au sucre", 900, 1400),
            Item("Flan pâtissier", 1200, 1800),
            Item("Paris-Brest", 350, 450),
            Item("Mille-feuille", 320, 420),
            Item("Tarte aux fraises", 1600, 2400),
            Item("Gâteau battu", 900, 1300),
            Item("Merveilleux", 280, 360),
            Item("Macarons assortis", 900, 1400),
            Item("Tarte au riz", 1100, 1600),
            Item("Brioche tressée", 500, 750),
            Item("Baba au rhum", 350, 450),
            Item("Tarte Tatin", 1500, 2200),
        ),
        (("", 1.0), (" (boîte de 4)", 3.8), (" (format familial)", 3.0)),
        perishable=True,
        tracked=False,
        descriptions=("Pur beurre, préparé le jour même.", "Recette de la maison depuis trois générations."),
    ),
    "butcher": Family(
        "alimentation-boucherie-et-charcuterie",
        FOOD,
        (
            Item("Côte de bœuf", 2900, 3900, "kg"),
            Item("Entrecôte", 2800, 3600, "kg"),
            Item("Bavette d'aloyau", 2200, 2900, "kg"),
            Item("Steaks hachés 2 × 125 g", 450, 650, "250 g"),
            Item("Rôti de porc", 1300, 1700, "kg"),
            Item("Côtes de porc", 1000, 1400, "kg"),
            Item("Filet mignon de porc", 1800, 2400, "kg"),
            Item("Gigot d'agneau", 2300, 2900, "kg"),
            Item("Poulet fermier", 1100, 1600),
            Item("Cuisses de poulet", 800, 1100, "kg"),
            Item("Blanquette de veau", 1900, 2500, "kg"),
            Item("Saucisses de Toulouse", 1200, 1500, "kg"),
            Item("Merguez", 1200, 1500, "kg"),
            Item("Jambon blanc à la coupe", 2000, 2800, "kg"),
            Item("Pâté de campagne", 1600, 2200, "kg"),
            Item("Rillettes", 1800, 2400, "kg"),
            Item("Andouillette", 1900, 2500, "kg"),
            Item("Boudin noir", 1400, 1800, "kg"),
            Item("Potjevleesch", 2200, 2800, "kg"),
            Item("Carbonnade flamande", 1900, 2500, "kg"),
        ),
        (("", 1.0), (" Label Rouge", 1.25), (" race charolaise", 1.2), (" (origine France)", 1.05)),
        perishable=True,
        descriptions=("Viande française, élevée près d'ici et maturée par nos soins.", "Découpée à la demande."),
    ),
    "fish": Family(
        "alimentation-poissonnerie",
        FOOD,
        (
            Item("Filet de cabillaud", 2400, 3200, "kg"),
            Item("Sole", 3500, 4800, "kg"),
            Item("Bar de ligne", 3000, 4200, "kg"),
            Item("Maquereaux", 900, 1300, "kg"),
            Item("Harengs frais", 700, 1000, "kg"),
            Item("Crevettes grises", 3800, 5200, "kg"),
            Item("Moules de bouchot", 500, 800, "kg"),
            Item("Pavé de saumon", 2600, 3400, "kg"),
            Item("Lieu noir", 1600, 2200, "kg"),
            Item("Limande", 1400, 1900, "kg"),
            Item("Turbot", 3800, 5000, "kg"),
            Item("Noix de Saint-Jacques", 5500, 7500, "kg"),
            Item("Harengs fumés", 1500, 2000, "kg"),
            Item("Rollmops", 1000, 1500, "kg"),
            Item("Soupe de poissons", 550, 750, "1 l"),
        ),
        (("", 1.0), (" (pêche locale)", 1.1), (" débarqué à Boulogne", 1.08)),
        perishable=True,
        descriptions=("Arrivage du jour, criée de Boulogne-sur-Mer.", "Préparé et vidé à la demande."),
    ),
    "veg": Family(
        "alimentation-fruits-et-legumes",
        FOOD,
        (
            Item("Pommes Jonagold", 250, 350, "kg"),
            Item("Poires Conférence", 300, 420, "kg"),
            Item("Bananes", 190, 260, "kg"),
            Item("Oranges à jus", 220, 320, "kg"),
            Item("Clémentines", 300, 420, "kg"),
            Item("Fraises", 350, 550, "500 g"),
            Item("Tomates grappe", 300, 450, "kg"),
            Item("Carottes", 120, 200, "kg"),
            Item("Pommes de terre Bintje", 110, 180, "kg"),
            Item("Endives", 280, 380, "kg"),
            Item("Poireaux", 200, 300, "kg"),
            Item("Chou-fleur", 200, 320),
            Item("Salade batavia", 100, 160),
            Item("Oignons jaunes", 150, 230, "kg"),
            Item("Ail rose", 900, 1400, "kg"),
            Item("Courgettes", 250, 350, "kg"),
            Item("Potimarron", 220, 320, "kg"),
            Item("Champignons de Paris", 600, 850, "kg"),
            Item("Radis", 120, 180),
            Item("Rhubarbe", 350, 500, "kg"),
        ),
        LOCAL,
        perishable=True,
        descriptions=("Cueilli à maturité.", "Origine France, selon la saison."),
    ),
    "cheese": Family(
        "alimentation-fromagerie",
        FOOD,
        (
            Item("Maroilles AOP", 900, 1300, "750 g"),
            Item("Comté 18 mois", 2600, 3400, "kg"),
            Item("Mimolette vieille", 2200, 2900, "kg"),
            Item("Camembert de Normandie", 400, 600, "250 g"),
            Item("Brie de Meaux", 2200, 2900, "kg"),
            Item("Roquefort", 2800, 3600, "kg"),
            Item("Chèvre frais", 250, 400, "150 g"),
            Item("Époisses", 900, 1200, "250 g"),
            Item("Charolais", 600, 900, "250 g"),
            Item("Mont d'Or", 1300, 1900, "500 g"),
            Item("Beaufort", 3000, 3900, "kg"),
            Item("Vieux-Boulogne", 1100, 1500, "300 g"),
            Item("Boulette d'Avesnes", 500, 750, "180 g"),
            Item("Tomme de Savoie", 1900, 2500, "kg"),
            Item("Beurre demi-sel", 350, 550, "250 g"),
            Item("Crème crue", 350, 500, "50 cl"),
        ),
        (("", 1.0), (" fermier", 1.15), (" au lait cru", 1.1)),
        perishable=True,
        descriptions=("Affiné dans notre cave.", "Coupé à la demande."),
    ),
    "grocery": Family(
        "alimentation-epicerie",
        FOOD,
        (
            Item("Huile d'olive vierge extra", 900, 1400, "50 cl"),
            Item("Moutarde à l'ancienne", 350, 550, "200 g"),
            Item("Confiture de rhubarbe", 450, 650, "350 g"),
            Item("Pâtes artisanales", 350, 550, "500 g"),
            Item("Lentilles vertes", 300, 450, "500 g"),
            Item("Thé noir", 600, 950, "100 g"),
            Item("Café en grains", 700, 1100, "250 g"),
            Item("Chocolat noir 70 %", 300, 480, "100 g"),
            Item("Sel de Guérande", 300, 450, "250 g"),
            Item("Sablés au beurre", 380, 560, "200 g"),
            Item("Pâte de spéculoos", 450, 650, "400 g"),
            Item("Chicorée", 350, 500, "250 g"),
            Item("Bêtises de Cambrai", 450, 650, "200 g"),
            Item("Vinaigre de cidre", 350, 500, "50 cl"),
            Item("Sirop de violette", 600, 850, "70 cl"),
            Item("Terrine de campagne", 450, 650, "180 g"),
            Item("Caramels au beurre salé", 500, 750, "150 g", vat=STANDARD),
        ),
        (("", 1.0), (" bio", 1.25), (" (coffret cadeau)", 2.5)),
        ean_share=0.6,
        descriptions=("Sélectionné chez de petits producteurs.", "Une idée de cadeau gourmand."),
    ),
    "local": Family(
        "alimentation-produits-locaux",
        FOOD,
        (
            Item("Miel de fleurs", 800, 1200, "500 g"),
            Item("Miel d'acacia", 900, 1400, "500 g"),
            Item("Pain d'épices", 500, 800, "400 g"),
            Item("Œufs de plein air (boîte de 6)", 250, 380),
            Item("Œufs de plein air (boîte de 12)", 450, 650),
            Item("Jus de pomme fermier", 300, 450, "1 l"),
            Item("Confiture de mûres", 450, 650, "350 g"),
            Item("Terrine de sanglier", 600, 850, "180 g"),
            Item("Noix", 900, 1300, "kg"),
            Item("Farine de sarrasin", 350, 500, "1 kg"),
            Item("Poulet fermier du Morvan", 1300, 1800),
            Item("Yaourt fermier nature", 80, 120, "125 g"),
        ),
        (("", 1.0), (" bio", 1.2)),
        perishable=True,
        descriptions=("Produit à moins de 30 km.", "Vente directe du producteur."),
    ),
    "wine": Family(
        "alimentation-cave-et-boissons",
        STANDARD,
        (
            Item("Bourgogne Pinot noir", 1400, 2200, "75 cl"),
            Item("Chablis", 1500, 2400, "75 cl"),
            Item("Côtes du Rhône", 700, 1200, "75 cl"),
            Item("Bordeaux supérieur", 900, 1500, "75 cl"),
            Item("Saint-Émilion grand cru", 2500, 4500, "75 cl"),
            Item("Muscadet sur lie", 700, 1100, "75 cl"),
            Item("Sancerre blanc", 1700, 2500, "75 cl"),
            Item("Crémant de Bourgogne", 1100, 1600, "75 cl"),
            Item("Champagne brut", 2600, 4200, "75 cl"),
            Item("Bière blonde de garde", 350, 600, "75 cl"),
            Item("Bière ambrée", 250, 400, "33 cl"),
            Item("Genièvre", 2200, 3200, "70 cl"),
            Item("Cidre brut fermier", 400, 650, "75 cl"),
            Item("Irancy", 1600, 2300, "75 cl"),
            Item("Jus de raisin", 400, 600, "75 cl", vat=FOOD, alcohol=False),
        ),
        (("", 1.0), (" 2019", 1.3), (" 2020", 1.2), (" 2021", 1.1), (" 2022", 1.0)),
        alcohol=True,
        ean_share=0.5,
        descriptions=("L'abus d'alcool est dangereux pour la santé, à consommer avec modération.",),
    ),
    "chocolate": Family(
        "alimentation-epicerie",
        STANDARD,  # chocolates and sweets are at 20 %; plain dark chocolate bars at 5.5 %
        (
            Item("Ballotin de chocolats", 1400, 2600, "250 g"),
            Item("Tablette chocolat noir", 350, 550, "100 g", vat=FOOD),
            Item("Orangettes", 900, 1300, "150 g"),
            Item("Pâtes de fruits", 800, 1200, "200 g"),
            Item("Guimauves artisanales", 600, 900, "150 g"),
            Item("Calais en chocolat", 1200, 1800, "200 g"),
            Item("Truffes au cacao", 900, 1400, "200 g"),
            Item("Rochers praliné", 800, 1200, "180 g"),
        ),
        (("", 1.0), (" (coffret cadeau)", 1.8)),
        descriptions=("Fabriqué dans notre laboratoire, sans huile de palme.",),
    ),
    "clothes_women": Family(
        "mode-vetements-femme",
        STANDARD,
        (
            Item("Robe portefeuille", 4900, 8900),
            Item("Blouse fleurie", 3500, 5900),
            Item("Pull en laine mérinos", 5900, 9900),
            Item("Jean droit", 4900, 8900),
            Item("Trench", 9900, 15900),
            Item("Cardigan", 4500, 7900),
            Item("Jupe plissée", 3900, 6900),
            Item("T-shirt en coton bio", 1900, 3500),
            Item("Foulard en soie", 2900, 5900),
            Item("Manteau en laine", 12900, 21900),
        ),
        COLOURS,
        descriptions=("Disponible du 36 au 46, essayage en boutique.", "Fabriqué en France."),
    ),
    "clothes_men": Family(
        "mode-vetements-homme",
        STANDARD,
        (
            Item("Chemise oxford", 3900, 6900),
            Item("Pull marin", 5900, 8900),
            Item("Jean brut", 5900, 9900),
            Item("Veste en velours", 8900, 14900),
            Item("Polo piqué", 3500, 5900),
            Item("Marinière", 3900, 5900),
            Item("Caban", 12900, 19900),
            Item("Chino", 4900, 7900),
            Item("Parka", 9900, 17900),
        ),
        COLOURS,
        descriptions=("Du S au XXL.", "Coupe droite, tissu français."),
    ),
    "kids": Family(
        "mode-enfants",
        STANDARD,
        (
            Item("Body en coton", 900, 1500),
            Item("Pyjama", 1900, 2900),
            Item("Salopette", 2900, 4500),
            Item("Ciré jaune", 3500, 4900),
            Item("Bonnet", 1200, 1900),
            Item("Gigoteuse", 3500, 5500),
            Item("Sweat à capuche", 2500, 3900),
        ),
        COLOURS,
        descriptions=("Du 3 mois au 12 ans.",),
    ),
    "shoes": Family(
        "mode-chaussures",
        STANDARD,
        (
            Item("Baskets en cuir", 6900, 11900),
            Item("Bottines", 8900, 14900),
            Item("Mocassins", 7900, 12900),
            Item("Ballerines", 4900, 7900),
            Item("Chaussure de randonnée", 8900, 15900),
            Item("Bottes de pluie", 2900, 5900),
            Item("Chaussons", 1900, 3900),
        ),
        COLOURS,
        descriptions=("Pointures du 36 au 46.",),
    ),
    "leather": Family(
        "mode-maroquinerie-et-accessoires",
        STANDARD,
        (
            Item("Sac à main en cuir", 7900, 16900),
            Item("Portefeuille", 2900, 5900),
            Item("Ceinture", 2500, 4900),
            Item("Cartable", 5900, 9900),
            Item("Parapluie", 1900, 3900),
            Item("Porte-cartes", 1500, 2900),
        ),
        COLOURS,
    ),
    "jewellery": Family(
        "mode-bijouterie",
        STANDARD,
        (
            Item("Bague", 3900, 8900),
            Item("Collier", 4900, 9900),
            Item("Boucles d'oreilles", 2900, 6900),
            Item("Montre", 8900, 24900),
            Item("Bracelet jonc", 3900, 7900),
            Item("Pendentif", 3500, 6900),
        ),
        (("", 1.0), (" en argent 925", 1.2), (" plaqué or", 1.5), (" en or 18 carats", 6.0)),
    ),
    "lace": Family(
        "maison-linge-de-maison",
        STANDARD,
        (
            Item("Napperon en dentelle de Calais", 1500, 3500),
            Item("Nappe en dentelle de Calais", 6900, 14900),
            Item("Voilage en dentelle", 3900, 8900),
            Item("Drap housse", 2900, 4900),
            Item("Housse de couette", 5900, 9900),
            Item("Serviette de bain", 1500, 2900),
            Item("Torchon en lin", 900, 1500),
            Item("Plaid", 3900, 6900),
        ),
        (("", 1.0), (" blanc", 1.0), (" ivoire", 1.0), (" gris perle", 1.0)),
        descriptions=("Tissée à Calais sur métier Leavers.", "Lavable à 30 °C."),
    ),
    "decoration": Family(
        "maison-decoration",
        STANDARD,
        (
            Item("Bougie parfumée", 1500, 3500),
            Item("Vase en grès", 2500, 5900),
            Item("Coussin", 1900, 3900),
            Item("Cadre photo", 1200, 2900),
            Item("Miroir en rotin", 3900, 8900),
            Item("Affiche du beffroi", 1500, 3900),
            Item("Photophore", 900, 2500),
        ),
        COLOURS,
    ),
    "kitchen": Family(
        "maison-cuisine-et-arts-de-la-table",
        STANDARD,
        (
            Item("Cocotte en fonte", 6900, 14900),
            Item("Couteau de chef", 3900, 9900),
            Item("Planche à découper en chêne", 2500, 4900),
            Item("Service à café", 3900, 6900),
            Item("Bol en céramique", 900, 1900),
            Item("Théière", 2500, 4900),
            Item("Moulin à poivre", 1900, 3900),
        ),
        COLOURS,
    ),
    "hardware": Family(
        "maison-bricolage",
        STANDARD,
        (
            Item("Tournevis", 500, 1500),
            Item("Perceuse-visseuse", 5900, 12900),
            Item("Ampoule LED", 300, 900),
            Item("Cadenas", 800, 2500),
            Item("Mètre ruban", 600, 1500),
            Item("Peinture acrylique", 1900, 4900, "2.5 l"),
            Item("Boîte de vis", 400, 1200),
            Item("Scie égoïne", 1500, 2900),
            Item("Marteau", 1200, 2500),
        ),
        (("", 1.0), (" (lot de 2)", 1.8), (" professionnel", 1.6)),
    ),
    "flowers": Family(
        "maison-jardinerie-et-fleurs",
        TAKEAWAY,  # cut flowers and plants are at 10 %
        (
            Item("Bouquet de saison", 2500, 5500),
            Item("Rose rouge", 300, 500),
            Item("Orchidée en pot", 2500, 4500),
            Item("Plante verte", 1500, 4500),
            Item("Composition florale", 3500, 7500),
            Item("Bulbes de tulipes", 500, 900),
            Item("Plants de tomates", 250, 400),
            Item("Lavande en pot", 600, 1200),
        ),
        (("", 1.0), (" (petit modèle)", 0.7), (" (grand modèle)", 1.6)),
        perishable=True,
        tracked=False,
    ),
    "beauty": Family(
        "beaute-sante-parfumerie-et-cosmetiques",
        STANDARD,
        (
            Item("Eau de parfum", 4900, 9900, "50 ml"),
            Item("Crème hydratante", 1900, 3900, "50 ml"),
            Item("Rouge à lèvres", 1500, 2900),
            Item("Savon au lait d'ânesse", 500, 900, "100 g"),
            Item("Shampooing doux", 900, 1900, "250 ml"),
            Item("Huile sèche", 1900, 2900, "100 ml"),
            Item("Crème solaire SPF 50", 1200, 2200, "100 ml"),
            Item("Baume à lèvres", 400, 800),
        ),
        (("", 1.0), (" bio", 1.2), (" (coffret cadeau)", 1.9)),
    ),
    "care": Family(
        "beaute-sante-institut-de-beaute",
        STANDARD,
        (
            Item("Bon cadeau soin du visage", 4500, 7500),
            Item("Bon cadeau modelage", 5500, 8500),
            Item("Bon cadeau coupe et brushing", 3500, 5500),
            Item("Bon cadeau manucure", 2500, 4000),
        ),
        (("", 1.0), (" (duo)", 1.9)),
        tracked=False,
    ),
    "optics": Family(
        "beaute-sante-optique",
        STANDARD,
        (
            Item("Lunettes de soleil", 5900, 15900),
            Item("Étui à lunettes", 900, 2500),
            Item("Lingettes nettoyantes", 400, 800),
            Item("Cordon à lunettes", 600, 1500),
        ),
        COLOURS,
    ),
    "books": Family(
        "culture-loisirs-librairie-et-presse",
        FOOD,  # books are at 5.5 %
        tuple(
            Item(f"{start} {place}", 790, 2490)
            for start in (
                "Le Secret de",
                "Les Ombres de",
                "Un hiver à",
                "La Maison de",
                "Le Dernier Phare de",
                "Souvenirs de",
                "Meurtre à",
                "Les Dentellières de",
                "Nuit blanche à",
                "L'Heure bleue à",
            )
            for place in ("Calais", "la Côte d'Opale", "Wissant", "Luzy", "l'Alène", "Bibracte")
        ),
        (
            (" — roman", 1.0),
            (" — roman policier", 0.9),
            (" — bande dessinée", 1.1),
            (" — guide de randonnée", 1.0),
            (" — livre de cuisine", 1.4),
            (" — album jeunesse", 0.8),
        ),
        ean_share=1.0,
        descriptions=("Coup de cœur de la librairie.", "Broché, édition de poche disponible sur commande."),
    ),
    "press": Family(
        "culture-loisirs-librairie-et-presse",
        PRESS,
        (
            Item("Quotidien régional", 120, 150),
            Item("Hebdomadaire télé", 150, 300),
            Item("Magazine de jardinage", 490, 690),
            Item("Magazine de cuisine", 390, 590),
            Item("Magazine pour enfants", 590, 790),
            Item("Mots fléchés", 250, 400),
        ),
        tuple((f" n° {number}", 1.0) for number in range(120, 160)),
    ),
    "toys": Family(
        "culture-loisirs-jeux-et-jouets",
        STANDARD,
        (
            Item("Puzzle 1000 pièces", 1500, 2500),
            Item("Jeu de société", 2500, 4900),
            Item("Peluche", 1500, 3500),
            Item("Voiture en bois", 1200, 2500),
            Item("Cerf-volant", 1500, 3900),
            Item("Seau et pelle de plage", 500, 900),
            Item("Trottinette", 4900, 8900),
            Item("Poupée", 1900, 3900),
            Item("Jeu de construction", 2900, 5900),
        ),
        COLOURS,
    ),
    "sport": Family(
        "culture-loisirs-sport",
        STANDARD,
        (
            Item("Ballon de football", 1500, 3500),
            Item("Raquette de badminton", 1900, 4500),
            Item("Maillot de cyclisme", 3900, 6900),
            Item("Chaussettes de running", 900, 1500),
            Item("Sac de sport", 2500, 4900),
            Item("Combinaison néoprène", 9900, 19900),
            Item("Gourde", 900, 1900),
            Item("Tapis de yoga", 2500, 4500),
        ),
        COLOURS,
    ),
    "music": Family(
        "culture-loisirs-musique",
        STANDARD,
        (
            Item("Cordes de guitare", 800, 1500),
            Item("Ukulélé", 3900, 8900),
            Item("Harmonica", 1900, 4900),
            Item("Partition", 900, 1900),
            Item("Album vinyle", 2200, 3500),
            Item("Métronome", 1900, 3500),
        ),
        (("", 1.0), (" (édition collector)", 1.6)),
    ),
    "crafts": Family(
        "culture-loisirs-loisirs-creatifs",
        STANDARD,
        (
            Item("Pelote de laine", 450, 900, "50 g"),
            Item("Kit de broderie", 1900, 3500),
            Item("Peinture acrylique", 500, 1200, "75 ml"),
            Item("Carnet de croquis", 900, 1900),
            Item("Boîte de perles", 600, 1500),
            Item("Aiguilles à tricoter", 500, 1200),
        ),
        COLOURS,
    ),
    "restaurant": Family(
        "restaurants-restaurants",
        TAKEAWAY,
        (
            Item("Menu du jour", 1400, 1900),
            Item("Moules-frites", 1500, 2100),
            Item("Welsh", 1400, 1900),
            Item("Carbonnade flamande", 1500, 2000),
            Item("Potjevleesch-frites", 1500, 2000),
            Item("Fish and chips", 1300, 1800),
            Item("Bœuf bourguignon", 1600, 2200),
            Item("Œufs en meurette", 1000, 1400),
            Item("Jambon persillé", 900, 1300),
            Item("Salade de chèvre chaud", 1200, 1600),
            Item("Croque-monsieur", 800, 1200),
            Item("Tarte au maroilles", 1100, 1500),
            Item("Crème brûlée", 600, 850),
            Item("Dame blanche", 650, 900),
            Item("Café gourmand", 750, 950),
        ),
        (("", 1.0), (" (à emporter)", 0.95), (" — portion enfant", 0.6)),
        perishable=True,
        tracked=False,
        descriptions=("Fait maison avec des produits frais.", "À emporter ou à déguster sur place."),
    ),
    "takeaway": Family(
        "restaurants-vente-a-emporter",
        TAKEAWAY,
        (
            Item("Pizza margherita", 900, 1200),
            Item("Pizza reine", 1100, 1400),
            Item("Pizza 4 fromages", 1200, 1500),
            Item("Calzone", 1200, 1500),
            Item("Frites (grande barquette)", 350, 500),
            Item("Fricadelle", 250, 400),
            Item("Mitraillette", 750, 1000),
            Item("Burger maison", 1000, 1400),
            Item("Lasagnes", 1000, 1300),
            Item("Tiramisu", 450, 600),
        ),
        (("", 1.0), (" (format familial)", 1.7)),
        perishable=True,
        tracked=False,
    ),
    "caterer": Family(
        "restaurants-traiteurs",
        TAKEAWAY,
        (
            Item("Plat du jour", 1000, 1400),
            Item("Paëlla (part)", 1000, 1400),
            Item("Quiche lorraine", 1400, 2200),
            Item("Terrine du chef", 400, 650),
            Item("Plateau apéritif", 2900, 4900),
            Item("Bouchées à la reine", 500, 800),
            Item("Gratin dauphinois", 600, 900),
            Item("Taboulé", 1800, 2600, "kg"),
        ),
        (("", 1.0), (" (pour 4)", 3.6), (" (pour 8)", 7.0)),
        perishable=True,
        tracked=False,
    ),
    "cafe": Family(
        "restaurants-cafes-et-bars",
        TAKEAWAY,
        (
            Item("Café", 150, 220),
            Item("Chocolat chaud", 300, 420),
            Item("Gaufre au sucre", 350, 500),
            Item("Thé à la menthe", 280, 380),
            Item("Croque du bar", 650, 900),
        ),
        (("", 1.0), (" à emporter", 1.0)),
        perishable=True,
        tracked=False,
    ),
    "repair": Family(
        "services-reparation",
        STANDARD,
        (
            Item("Ressemelage", 2500, 4500),
            Item("Pose de talons", 1200, 2000),
            Item("Cirage", 500, 900),
            Item("Lacets", 300, 600),
            Item("Reproduction de clé", 400, 900),
            Item("Pile de montre", 800, 1500),
            Item("Révision de vélo", 3900, 6900),
            Item("Chambre à air", 600, 1200),
        ),
        (("", 1.0), (" (express)", 1.4)),
        tracked=False,
    ),
    "crafts_maker": Family(
        "maison-decoration",
        STANDARD,
        (
            Item("Mug en grès", 1800, 3200),
            Item("Saladier en grès", 3500, 6500),
            Item("Savon artisanal", 500, 900, "100 g"),
            Item("Tabouret en chêne", 8900, 18900),
            Item("Planche à fromage en noyer", 3500, 6500),
            Item("Porte-clés en cuir", 1200, 2200),
            Item("Bougie coulée main", 1500, 2900),
            Item("Pièce unique en céramique", 4500, 12000),
        ),
        (("", 1.0), (" émaillé bleu", 1.1), (" (série limitée)", 1.3)),
        descriptions=("Fait main dans notre atelier.", "Chaque pièce est unique."),
    ),
    "association": Family(
        "services-associations",
        VatRate.NONE,
        (
            Item("Calendrier de l'association", 500, 1000),
            Item("Sac en toile", 800, 1200),
            Item("Pot de miel du rucher partagé", 600, 900, "250 g"),
            Item("Carnet de tombola", 200, 500),
            Item("Livre de recettes des bénévoles", 1000, 1500),
        ),
        tracked=False,
    ),
}

# --- trades (what a merchant does) ---------------------------------------------------------------


@dataclass(frozen=True)
class Trade:
    kind: str
    category: str
    names: tuple[str, ...]  # "{surname}", "{first}", "{of_district}" ("du Courgain"), "{city}"
    families: tuple[str, ...]
    hours: str
    weight: float  # share of the town's merchants (Calais-like default, profiles override)
    product_weight: float  # relative number of products; 0 = no products (showcase only)
    sku_prefix: str
    descriptions: tuple[str, ...]
    vat_exempt_share: float = 0.0
    always_showcase: bool = False


TRADES: dict[str, Trade] = {
    "bakery": Trade(
        MerchantKind.SHOP,
        "alimentation-boulangerie-et-patisserie",
        (
            "Boulangerie {surname}",
            "Au Pain {of_district}",
            "Le Fournil {of_district}",
            "Maison {surname}",
            "Boulangerie-pâtisserie {surname}",
            "Aux Délices {of_district}",
        ),
        ("bread", "pastry"),
        "bakery",
        8,
        1.2,
        "BOU",
        (
            "Boulangerie artisanale au cœur {of_district} : pain au levain, viennoiseries pur beurre et pâtisseries maison.",
            "Notre fournil cuit toute la journée ; commandez vos gâteaux d'anniversaire la veille.",
        ),
    ),
    "butcher": Trade(
        MerchantKind.SHOP,
        "alimentation-boucherie-et-charcuterie",
        ("Boucherie {surname}", "Boucherie {of_district}", "Boucherie-charcuterie {surname}", "La Maison de la Viande"),
        ("butcher",),
        "shop",
        4,
        1.0,
        "BCH",
        ("Viandes d'éleveurs de la région, charcuterie et plats cuisinés faits maison.",),
    ),
    "fish": Trade(
        MerchantKind.SHOP,
        "alimentation-poissonnerie",
        ("Poissonnerie {surname}", "La Marée {of_district}", "Poissonnerie du Port", "Le Comptoir de la Mer"),
        ("fish",),
        "morning",
        2.5,
        1.0,
        "POI",
        ("Poissons et crustacés de la Côte d'Opale, arrivage chaque matin.",),
    ),
    "greengrocer": Trade(
        MerchantKind.SHOP,
        "alimentation-fruits-et-legumes",
        ("Primeur {surname}", "Les Jardins {of_district}", "Au Panier de {first}", "Fruits et Légumes {surname}"),
        ("veg",),
        "shop",
        3,
        1.0,
        "PRI",
        ("Fruits et légumes de saison, en direct des maraîchers de la région.",),
    ),
    "cheese": Trade(
        MerchantKind.SHOP,
        "alimentation-fromagerie",
        ("Fromagerie {surname}", "La Cloche à Fromage", "Au Plateau {of_district}", "Crèmerie {surname}"),
        ("cheese",),
        "shop",
        2,
        1.0,
        "FRO",
        ("Fromages affinés dans notre cave, crèmerie et produits laitiers fermiers.",),
    ),
    "grocery": Trade(
        MerchantKind.SHOP,
        "alimentation-epicerie",
        ("Épicerie {surname}", "L'Épicerie {of_district}", "Épicerie fine {surname}", "Le Garde-Manger"),
        ("grocery", "local"),
        "shop",
        4,
        1.2,
        "EPI",
        ("Épicerie fine et produits régionaux, paniers garnis sur commande.",),
    ),
    "wine": Trade(
        MerchantKind.SHOP,
        "alimentation-cave-et-boissons",
        ("Cave {surname}", "Le Cellier {of_district}", "La Cave à {first}", "Les Vins de {surname}"),
        ("wine",),
        "shop",
        2.5,
        1.2,
        "CAV",
        ("Vins de vignerons, bières artisanales et spiritueux. Dégustations le samedi.",),
    ),
    "chocolate": Trade(
        MerchantKind.ARTISAN,
        "alimentation-epicerie",
        ("Chocolaterie {surname}", "Chocolats {first} {surname}", "Le Chocolatier {of_district}"),
        ("chocolate",),
        "shop",
        1.5,
        0.8,
        "CHO",
        ("Artisan chocolatier : ganaches, pralinés et spécialités de la ville.",),
    ),
    "clothes_women": Trade(
        MerchantKind.SHOP,
        "mode-vetements-femme",
        ("Boutique {first}", "Les Dessous {of_district}", "Mademoiselle {surname}", "L'Atelier de {first}"),
        ("clothes_women",),
        "shop",
        7,
        1.3,
        "FEM",
        ("Prêt-à-porter féminin, marques françaises et créateurs.",),
    ),
    "clothes_men": Trade(
        MerchantKind.SHOP,
        "mode-vetements-homme",
        ("{surname} Homme", "Le Vestiaire {of_district}", "Monsieur {surname}"),
        ("clothes_men",),
        "shop",
        4,
        1.3,
        "HOM",
        ("Vêtements pour homme, du casual au costume sur mesure.",),
    ),
    "kids": Trade(
        MerchantKind.SHOP,
        "mode-enfants",
        ("Les P'tits {surname}", "Les Petits Mousses {of_district}", "La Récré de {first}"),
        ("kids",),
        "shop",
        2,
        1.0,
        "ENF",
        ("Mode enfant de la naissance à 12 ans.",),
    ),
    "shoes": Trade(
        MerchantKind.SHOP,
        "mode-chaussures",
        ("Chaussures {surname}", "Le Pas de {first}", "Chaussures {of_district}"),
        ("shoes",),
        "shop",
        3,
        1.1,
        "CHA",
        ("Chaussures pour toute la famille, conseil et mise à la pointure.",),
    ),
    "leather": Trade(
        MerchantKind.SHOP,
        "mode-maroquinerie-et-accessoires",
        ("Maroquinerie {surname}", "Le Sac de {first}", "Cuirs {of_district}"),
        ("leather",),
        "shop",
        1.5,
        1.0,
        "MAR",
        ("Maroquinerie, bagagerie et petits accessoires en cuir.",),
    ),
    "jewellery": Trade(
        MerchantKind.SHOP,
        "mode-bijouterie",
        ("Bijouterie {surname}", "Horlogerie-bijouterie {surname}", "L'Écrin {of_district}"),
        ("jewellery",),
        "shop",
        2,
        1.0,
        "BIJ",
        ("Bijoux, montres et réparations dans notre atelier.",),
    ),
    "lace": Trade(
        MerchantKind.SHOP,
        "maison-linge-de-maison",
        ("La Dentellière", "Dentelles {surname}", "Maison de la Dentelle {of_district}", "Linge de Maison {surname}"),
        ("lace",),
        "shop",
        2,
        1.0,
        "DEN",
        ("Dentelle de Calais et linge de maison de fabrication française.",),
    ),
    "decoration": Trade(
        MerchantKind.SHOP,
        "maison-decoration",
        ("Déco {first}", "La Maison de {first}", "Comptoir {of_district}", "L'Instant Déco"),
        ("decoration", "kitchen"),
        "shop",
        4,
        1.1,
        "DEC",
        ("Décoration, arts de la table et idées cadeaux.",),
    ),
    "hardware": Trade(
        MerchantKind.SHOP,
        "maison-bricolage",
        ("Quincaillerie {surname}", "Droguerie {of_district}", "Bricolage {surname}"),
        ("hardware",),
        "shop",
        2,
        1.2,
        "QUI",
        ("Quincaillerie, outillage, droguerie : le conseil en plus.",),
    ),
    "florist": Trade(
        MerchantKind.SHOP,
        "maison-jardinerie-et-fleurs",
        ("Fleurs {first}", "Au Jardin {of_district}", "L'Atelier Floral", "Les Fleurs de {surname}"),
        ("flowers",),
        "florist",
        3,
        0.8,
        "FLE",
        ("Fleuriste : bouquets de saison, compositions et deuil, livraison en ville.",),
    ),
    "beauty": Trade(
        MerchantKind.SHOP,
        "beaute-sante-parfumerie-et-cosmetiques",
        ("Parfumerie {surname}", "Beauté {of_district}", "L'Essentiel de {first}"),
        ("beauty",),
        "shop",
        3,
        1.0,
        "PAR",
        ("Parfums, soins et cosmétiques, marques françaises et bio.",),
    ),
    "hairdresser": Trade(
        MerchantKind.SHOP,
        "beaute-sante-coiffure",
        ("Coiffure {first}", "L'Atelier de Coiffure", "Salon {surname}", "Hair {of_district}"),
        ("care",),
        "hairdresser",
        6,
        0.2,
        "COI",
        ("Salon de coiffure mixte, sur rendez-vous ou sans.",),
    ),
    "institute": Trade(
        MerchantKind.SHOP,
        "beaute-sante-institut-de-beaute",
        ("Institut {first}", "Beauté {of_district}", "L'Instant Beauté"),
        ("care", "beauty"),
        "hairdresser",
        3,
        0.4,
        "INS",
        ("Soins du visage et du corps, épilations, onglerie.",),
    ),
    "optician": Trade(
        MerchantKind.SHOP,
        "beaute-sante-optique",
        ("Optique {surname}", "Les Lunettes {of_district}", "Optique du Beffroi"),
        ("optics",),
        "shop",
        2,
        0.6,
        "OPT",
        ("Opticien diplômé, examen de vue et lunettes pour toute la famille.",),
    ),
    "books": Trade(
        MerchantKind.SHOP,
        "culture-loisirs-librairie-et-presse",
        ("Librairie {surname}", "Librairie Le Pain de 4 Livres", "Le Marque-Page", "Maison de la Presse {of_district}"),
        ("books", "press"),
        "shop",
        2.5,
        1.3,
        "LIB",
        ("Librairie indépendante : romans, jeunesse, BD, régionalisme. Commandes en 48 h.",),
    ),
    "toys": Trade(
        MerchantKind.SHOP,
        "culture-loisirs-jeux-et-jouets",
        ("La Boîte à Jouets", "Jouets {surname}", "Le Coffre à Jeux {of_district}"),
        ("toys",),
        "shop",
        2,
        1.0,
        "JOU",
        ("Jeux et jouets pour tous les âges, ludothèque le mercredi.",),
    ),
    "sport": Trade(
        MerchantKind.SHOP,
        "culture-loisirs-sport",
        ("Sports {surname}", "Opale Glisse", "Le Vestiaire Sportif"),
        ("sport",),
        "shop",
        2,
        1.0,
        "SPO",
        ("Articles de sport, cycles et glisse.",),
    ),
    "music": Trade(
        MerchantKind.SHOP,
        "culture-loisirs-musique",
        ("Musique {surname}", "La Clé de Sol", "Disques {of_district}"),
        ("music",),
        "shop",
        1,
        0.8,
        "MUS",
        ("Instruments, partitions et vinyles.",),
    ),
    "crafts": Trade(
        MerchantKind.SHOP,
        "culture-loisirs-loisirs-creatifs",
        ("Mercerie {surname}", "La Pelote {of_district}", "L'Atelier Créatif de {first}"),
        ("crafts",),
        "shop",
        1.5,
        0.9,
        "LOI",
        ("Mercerie, laines et loisirs créatifs, ateliers le samedi.",),
    ),
    "restaurant": Trade(
        MerchantKind.RESTAURANT,
        "restaurants-restaurants",
        (
            "Restaurant {surname}",
            "Le Bistrot {of_district}",
            "La Table de {first}",
            "L'Estaminet {of_district}",
            "Brasserie du Beffroi",
            "Le Relais {of_district}",
        ),
        ("restaurant",),
        "restaurant",
        9,
        0.4,
        "RES",
        (
            "Cuisine de saison et spécialités régionales, menu du jour le midi.",
            "Terrasse aux beaux jours ; réservation conseillée le week-end.",
        ),
    ),
    "takeaway": Trade(
        MerchantKind.RESTAURANT,
        "restaurants-vente-a-emporter",
        ("Pizzeria {first}", "Friterie {of_district}", "Chez {first}", "Snack {of_district}"),
        ("takeaway",),
        "evening",
        4,
        0.5,
        "EMP",
        ("Sur place ou à emporter, commandes par téléphone.",),
    ),
    "caterer": Trade(
        MerchantKind.RESTAURANT,
        "restaurants-traiteurs",
        ("Traiteur {surname}", "Les Saveurs {of_district}", "{first} Traiteur"),
        ("caterer",),
        "shop",
        2,
        0.6,
        "TRA",
        ("Traiteur : plats cuisinés, buffets et repas de fête sur commande.",),
    ),
    "cafe": Trade(
        MerchantKind.RESTAURANT,
        "restaurants-cafes-et-bars",
        ("Café {of_district}", "Le Bar de la Place", "Au Bon Coin", "Le Troquet de {first}", "Café {surname}"),
        ("cafe",),
        "cafe",
        4,
        0.15,
        "BAR",
        ("Café, bar, tabac-presse : l'adresse du quartier depuis 1950.",),
    ),
    "estate": Trade(
        MerchantKind.ESTATE_AGENT,
        "services-immobilier",
        (
            "{surname} Immobilier",
            "Agence Immobilière {of_district}",
            "L'Immobilière de la Place",
            "{city} Immobilier",
            "Cabinet {surname}",
        ),
        (),
        "office",
        3,
        0.0,
        "IMM",
        ("Transaction, location et gestion locative ; estimation gratuite de votre bien.",),
        always_showcase=True,
    ),
    "repair": Trade(
        MerchantKind.ARTISAN,
        "services-reparation",
        ("Cordonnerie {surname}", "Clés Minute {of_district}", "Cycles {surname}", "L'Atelier Réparation"),
        ("repair",),
        "shop",
        2,
        0.5,
        "REP",
        ("Cordonnerie, clés, piles de montre et petites réparations en 24 h.",),
    ),
    "pressing": Trade(
        MerchantKind.ARTISAN,
        "services-pressing-et-retouches",
        ("Pressing {of_district}", "Retouches {first}", "L'Atelier Couture de {first}"),
        (),
        "shop",
        2,
        0.0,
        "PRE",
        ("Pressing, blanchisserie et retouches.",),
        always_showcase=True,
    ),
    "services": Trade(
        MerchantKind.ARTISAN,
        "services-services-a-la-personne",
        ("{first} Services", "Aide à Domicile {of_district}", "Jardins et Services {surname}"),
        (),
        "office",
        2,
        0.0,
        "SAP",
        ("Ménage, jardinage et petits travaux : 50 % de crédit d'impôt.",),
        always_showcase=True,
    ),
    "building": Trade(
        MerchantKind.ARTISAN,
        "maison-bricolage",
        (
            "Plomberie {surname}",
            "Électricité {surname}",
            "{surname} Menuiserie",
            "Maçonnerie {surname}",
            "Couverture {surname}",
            "Peinture et Décoration {surname}",
            "Chauffage {surname}",
        ),
        (),
        "artisan",
        2,
        0.0,
        "BAT",
        ("Artisan du bâtiment, devis gratuit, intervention sous 48 h.",),
        always_showcase=True,
    ),
    "potter": Trade(
        MerchantKind.ARTISAN,
        "maison-decoration",
        ("Poterie {surname}", "L'Atelier de {first}", "Céramiques {of_district}", "Savonnerie {surname}"),
        ("crafts_maker",),
        "artisan_shop",
        1.5,
        0.5,
        "ART",
        ("Atelier-boutique : pièces tournées et émaillées à la main.",),
        vat_exempt_share=0.6,
    ),
    "carpenter": Trade(
        MerchantKind.ARTISAN,
        "maison-decoration",
        ("Ébénisterie {surname}", "Le Bois de {first}", "Menuiserie d'Art {surname}"),
        ("crafts_maker",),
        "artisan",
        1,
        0.3,
        "EBE",
        ("Ébéniste : mobilier sur mesure et restauration de meubles anciens.",),
        vat_exempt_share=0.5,
    ),
    "association": Trade(
        MerchantKind.ASSOCIATION,
        "services-associations",
        (
            "Comité des fêtes de {city}",
            "Les Amis du Vieux {city}",
            "Harmonie municipale de {city}",
            "Jardins partagés {of_district}",
            "Club de randonnée de {city}",
            "Ludothèque {of_district}",
            "Atelier couture solidaire",
            "Ressourcerie {of_district}",
            "Amicale des pêcheurs de {city}",
            "Association des commerçants {of_district}",
            "Club de football {of_district}",
        ),
        ("association",),
        "association",
        4,
        0.1,
        "ASS",
        ("Association loi 1901 : bénévoles bienvenus, adhésion sur place.",),
        vat_exempt_share=1.0,
    ),
    "market_veg": Trade(
        MerchantKind.MARKET_TRADER,
        "alimentation-fruits-et-legumes",
        ("{first} {surname}, maraîcher", "Les Légumes de {first}", "La Ferme {of_district}", "Le Potager de {surname}"),
        ("veg",),
        "market",
        3,
        0.6,
        "MAR",
        ("Maraîcher présent au marché : légumes de plein champ cueillis la veille.",),
        vat_exempt_share=0.5,
    ),
    "beekeeper": Trade(
        MerchantKind.MARKET_TRADER,
        "alimentation-produits-locaux",
        ("Le Rucher de {first}", "Miellerie {surname}", "Les Abeilles {of_district}"),
        ("local",),
        "market",
        1,
        0.5,
        "MIE",
        ("Apiculteur récoltant : miels de fleurs, d'acacia et de forêt.",),
        vat_exempt_share=0.7,
    ),
    "farm_cheese": Trade(
        MerchantKind.MARKET_TRADER,
        "alimentation-fromagerie",
        ("Chèvrerie {surname}", "La Ferme de {first}", "Fromages fermiers {surname}"),
        ("cheese", "local"),
        "market",
        1,
        0.6,
        "FER",
        ("Fromages de chèvre et de vache au lait cru, de la ferme au marché.",),
        vat_exempt_share=0.5,
    ),
}

SUPERMARKET_TRADE = Trade(
    MerchantKind.PARTNER_SUPERMARKET, "alimentation-epicerie", (), (), "supermarket", 0, 0, "SM",
    ("Supermarché partenaire : vos courses du quotidien, livrées avec celles de vos commerçants.",),
)  # fmt: skip

# Partner supermarket: (title, sizes as (label, quantity, unit, price factor), base price, category, vat, flags)
SUPERMARKET_BRANDS = (
    ("Les Halles", 0.85), ("Terre d'Opale", 1.0), ("Saveurs du Nord", 1.1), ("Belle Ferme", 1.15),
    ("Prix Doux", 0.7), ("Nature & Bio", 1.35), ("Maison Duval", 1.25),
)  # fmt: skip
_G = "g"
_ML = "ml"
_CL = "cl"
_L = "l"
_KG = "kg"


class ShelfItem(NamedTuple):
    titles: tuple[str, ...]
    sizes: tuple[tuple[str, Decimal, str, float], ...]
    base_cents: int
    category: str
    vat: int = FOOD
    perishable: bool = False
    alcohol: bool = False


def _sizes(*sizes: tuple[str, str, str, float]) -> tuple[tuple[str, Decimal, str, float], ...]:
    return tuple((label, Decimal(quantity), unit, factor) for label, quantity, unit, factor in sizes)


GRAMS_500 = _sizes(("500 g", "500", _G, 1.0), ("1 kg", "1", _KG, 1.8))
SHELF: tuple[ShelfItem, ...] = (
    ShelfItem(
        tuple(f"Pâtes {shape}" for shape in ("spaghetti", "penne", "fusilli", "coquillettes", "tagliatelles", "farfalle")),
        GRAMS_500, 110, "alimentation-epicerie",
    ),
    ShelfItem(("Riz basmati", "Riz long grain", "Riz pour risotto", "Semoule de blé"), GRAMS_500, 180, "alimentation-epicerie"),
    ShelfItem(
        ("Haricots verts extra-fins", "Petits pois carottes", "Maïs doux", "Cassoulet", "Choucroute garnie", "Raviolis pur bœuf"),
        _sizes(("400 g", "400", _G, 1.0), ("800 g", "800", _G, 1.7)), 190, "alimentation-epicerie",
    ),
    ShelfItem(("Thon au naturel", "Sardines à l'huile d'olive", "Maquereaux au vin blanc"),
              _sizes(("3 × 80 g", "240", _G, 1.0), ("140 g", "140", _G, 0.7)), 320, "alimentation-epicerie"),
    ShelfItem(("Huile de tournesol", "Huile d'olive vierge extra", "Huile de colza"),
              _sizes(("1 l", "1", _L, 1.0), ("50 cl", "50", _CL, 0.6)), 350, "alimentation-epicerie"),
    ShelfItem(("Sauce tomate basilic", "Sauce bolognaise", "Pesto vert", "Moutarde de Dijon", "Mayonnaise", "Ketchup"),
              _sizes(("190 g", "190", _G, 0.7), ("350 g", "350", _G, 1.0)), 220, "alimentation-epicerie"),
    ShelfItem(("Farine de blé T45", "Farine de blé T65", "Sucre en poudre", "Sucre en morceaux", "Sel fin"),
              _sizes(("1 kg", "1", _KG, 1.0),), 120, "alimentation-epicerie"),
    ShelfItem(("Céréales au chocolat", "Muesli aux fruits", "Flocons d'avoine", "Corn flakes"),
              _sizes(("375 g", "375", _G, 1.0), ("750 g", "750", _G, 1.8)), 280, "alimentation-epicerie"),
    ShelfItem(("Biscuits petit beurre", "Sablés nappés chocolat", "Cookies aux pépites", "Gaufres fourrées", "Spéculoos"),
              _sizes(("200 g", "200", _G, 1.0), ("400 g", "400", _G, 1.8)), 180, "alimentation-epicerie"),
    ShelfItem(("Chocolat noir 70 %", "Chocolat au lait", "Chocolat noir noisettes"),
              _sizes(("100 g", "100", _G, 1.0), ("3 × 100 g", "300", _G, 2.7)), 160, "alimentation-epicerie"),
    ShelfItem(("Confiture de fraises", "Confiture d'abricots", "Gelée de groseilles", "Pâte à tartiner", "Miel toutes fleurs"),
              _sizes(("370 g", "370", _G, 1.0), ("750 g", "750", _G, 1.8)), 260, "alimentation-epicerie"),
    ShelfItem(("Café moulu arabica", "Café en grains", "Chicorée soluble", "Thé vert", "Infusion verveine"),
              _sizes(("250 g", "250", _G, 1.0), ("500 g", "500", _G, 1.9)), 320, "alimentation-epicerie"),
    ShelfItem(("Compote pomme", "Compote pomme poire", "Crème dessert vanille", "Riz au lait"),
              _sizes(("4 × 100 g", "400", _G, 1.0), ("8 × 100 g", "800", _G, 1.85)), 210, "alimentation-epicerie"),
    ShelfItem(("Lait entier", "Lait demi-écrémé", "Lait écrémé", "Boisson à l'avoine"),
              _sizes(("1 l", "1", _L, 1.0), ("6 × 1 l", "6", _L, 5.6)), 115, "alimentation-produits-locaux", perishable=True),
    ShelfItem(("Yaourt nature", "Yaourt aux fruits", "Yaourt brassé vanille", "Fromage blanc", "Petits suisses"),
              _sizes(("4 × 125 g", "500", _G, 1.0), ("8 × 125 g", "1", _KG, 1.85), ("12 × 125 g", "1.5", _KG, 2.6)),
              190, "alimentation-produits-locaux", perishable=True),
    ShelfItem(("Beurre doux", "Beurre demi-sel", "Crème fraîche épaisse", "Crème liquide"),
              _sizes(("250 g", "250", _G, 1.0), ("500 g", "500", _G, 1.9)), 260, "alimentation-fromagerie", perishable=True),
    ShelfItem(("Emmental râpé", "Camembert", "Comté", "Mimolette", "Maroilles", "Chèvre bûche", "Raclette en tranches"),
              _sizes(("200 g", "200", _G, 1.0), ("400 g", "400", _G, 1.85)), 320, "alimentation-fromagerie", perishable=True),
    ShelfItem(("Jambon blanc", "Lardons fumés", "Saucisson sec", "Blanc de poulet", "Pâté de foie"),
              _sizes(("4 tranches", "160", _G, 1.0), ("8 tranches", "320", _G, 1.8)), 290,
              "alimentation-boucherie-et-charcuterie", perishable=True),
    ShelfItem(("Saumon fumé", "Filets de hareng doux", "Surimi"),
              _sizes(("4 tranches", "120", _G, 1.0), ("8 tranches", "240", _G, 1.85)), 450, "alimentation-poissonnerie",
              perishable=True),
    ShelfItem(("Œufs de poules élevées en plein air",),
              _sizes(("× 6", "6", "", 1.0), ("× 12", "12", "", 1.85)), 220, "alimentation-produits-locaux", perishable=True),
    ShelfItem(("Pommes Golden", "Bananes", "Carottes", "Pommes de terre", "Oignons jaunes", "Endives", "Tomates"),
              _sizes(("1 kg", "1", _KG, 1.0), ("2,5 kg", "2.5", _KG, 2.2)), 210, "alimentation-fruits-et-legumes",
              perishable=True),
    ShelfItem(("Eau minérale naturelle", "Eau gazeuse", "Jus d'orange", "Jus de pomme", "Soda cola", "Limonade",
               "Sirop de grenadine", "Thé glacé pêche"),
              _sizes(("1,5 l", "1.5", _L, 1.0), ("6 × 1,5 l", "9", _L, 5.2)), 90, "alimentation-cave-et-boissons"),
    ShelfItem(("Bière blonde", "Bière blanche", "Bière ambrée", "Bière sans alcool"),
              _sizes(("6 × 25 cl", "150", _CL, 1.0), ("12 × 25 cl", "300", _CL, 1.9), ("75 cl", "75", _CL, 0.7)),
              420, "alimentation-cave-et-boissons", vat=STANDARD, alcohol=True),
    ShelfItem(("Vin rouge Bordeaux AOC", "Côtes du Rhône rouge", "Rosé de Provence", "Vin blanc Muscadet",
               "Cidre brut", "Champagne brut"),
              _sizes(("75 cl", "75", _CL, 1.0), ("150 cl", "150", _CL, 2.1)), 590, "alimentation-cave-et-boissons",
              vat=STANDARD, alcohol=True),
    ShelfItem(("Shampooing", "Gel douche", "Dentifrice", "Savon liquide", "Déodorant", "Après-shampooing"),
              _sizes(("250 ml", "250", _ML, 1.0), ("500 ml", "500", _ML, 1.7)), 240,
              "beaute-sante-parfumerie-et-cosmetiques", vat=STANDARD),
    ShelfItem(("Papier toilette", "Essuie-tout", "Mouchoirs"),
              _sizes(("× 6", "6", "", 1.0), ("× 12", "12", "", 1.8)), 290, "maison-linge-de-maison", vat=STANDARD),
    ShelfItem(("Liquide vaisselle", "Lessive liquide", "Nettoyant multi-usage", "Assouplissant", "Pastilles lave-vaisselle"),
              _sizes(("750 ml", "750", _ML, 1.0), ("1,5 l", "1.5", _L, 1.8)), 260, "maison-cuisine-et-arts-de-la-table",
              vat=STANDARD),
    ShelfItem(("Croquettes pour chat", "Croquettes pour chien", "Pâtée pour chat"),
              _sizes(("1 kg", "1", _KG, 1.0), ("3 kg", "3", _KG, 2.7)), 490, "maison-jardinerie-et-fleurs", vat=STANDARD),
    ShelfItem(("Petits pots légumes", "Petits pots fruits"),
              _sizes(("2 × 200 g", "400", _G, 1.0), ("4 × 200 g", "800", _G, 1.85)), 250, "alimentation-epicerie"),
)  # fmt: skip

# --- hours ---------------------------------------------------------------------------------------

Span = tuple[clock, clock]


def _t(text: str) -> clock:
    hours, minutes = text.split(":")
    return clock(int(hours), int(minutes))


def _week(rng: random.Random, pattern: str, market_days: Sequence[int]) -> dict[int, list[Span]]:
    """Opening spans per weekday (0 = Monday) for a kind of business, with some variety."""
    late = rng.choice(("18:30", "19:00", "19:00", "19:30"))
    morning = rng.choice(("09:00", "09:30", "10:00"))
    split = [(_t(morning), _t("12:00")), (_t(rng.choice(("14:00", "14:00", "14:30"))), _t(late))]
    days: dict[int, list[Span]] = {}
    if pattern == "bakery":
        full = [(_t(rng.choice(("06:30", "07:00"))), _t("13:00")), (_t("15:00"), _t(rng.choice(("19:00", "19:30"))))]
        closed = rng.choice((0, 0, 2))
        days = {day: full for day in range(6) if day != closed}
        days[6] = [(_t("07:00"), _t("12:30"))]
    elif pattern in ("shop", "florist", "hairdresser"):
        days = {day: split for day in range(1, 6)}
        if rng.random() < 0.4:
            days[0] = [(_t("14:00"), _t(late))]
        if pattern == "florist":
            days[6] = [(_t("09:00"), _t("12:30"))]
        if pattern == "hairdresser" and rng.random() < 0.5:
            days = {day: [(_t("09:00"), _t(late))] for day in range(1, 6)}
            days[5] = [(_t("08:30"), _t("16:00"))]
    elif pattern == "morning":
        days = {day: [(_t("08:00"), _t("12:30"))] for day in range(1, 6)}
        days[4] = [(_t("08:00"), _t("12:30")), (_t("15:30"), _t("19:00"))]
        days[6] = [(_t("08:30"), _t("12:00"))]
    elif pattern == "restaurant":
        dinner = (_t("19:00"), _t(rng.choice(("21:30", "22:00", "22:30"))))
        lunch = (_t("12:00"), _t(rng.choice(("14:00", "14:30"))))
        days = {day: [lunch, dinner] for day in range(1, 6)}
        days[6] = [lunch]
        if rng.random() < 0.5:
            days[2] = [lunch]
    elif pattern == "evening":
        days = {day: [(_t("11:30"), _t("14:00")), (_t("18:00"), _t("22:30"))] for day in range(1, 7)}
    elif pattern == "cafe":
        days = {day: [(_t("07:00"), _t(rng.choice(("19:00", "20:00", "21:00"))))] for day in range(6)}
        if rng.random() < 0.5:
            days[6] = [(_t("08:00"), _t("13:00"))]
    elif pattern == "office":
        days = {day: [(_t("09:00"), _t("12:00")), (_t("14:00"), _t("18:00"))] for day in range(5)}
        days[5] = [(_t("09:00"), _t("12:00"))]
    elif pattern == "artisan":
        days = {day: [(_t("08:00"), _t("12:00")), (_t("13:30"), _t("17:30"))] for day in range(5)}
    elif pattern == "artisan_shop":
        days = {day: [(_t("10:00"), _t("12:30")), (_t("14:00"), _t("18:30"))] for day in (2, 3, 4, 5)}
    elif pattern == "association":
        days = {2: [(_t("14:00"), _t("18:00"))], 5: [(_t("10:00"), _t("12:00"))]}
    elif pattern == "market":
        days = {day: [(_t("07:30"), _t("12:30"))] for day in market_days}
    elif pattern == "supermarket":
        days = {day: [(_t("08:30"), _t("20:00"))] for day in range(6)}
        days[6] = [(_t("09:00"), _t("12:30"))]
    return days


# --- helpers -------------------------------------------------------------------------------------


def ean13(rng: random.Random, taken: set[str]) -> str:
    """A fresh EAN-13 with a French GS1 prefix (300-379) and a correct check digit."""
    while True:
        body = f"3{rng.randrange(0, 80):02d}{rng.randrange(0, 10**9):09d}"
        code = body + stdnum_ean.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code


def siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and full number both pass the Luhn check (as INSEE's numbers do)."""
    siren_body = f"{rng.randrange(10**7, 10**8):08d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    nic_body = siren + f"{rng.randrange(0, 10**4):04d}"
    return nic_body + luhn.calc_check_digit(nic_body)


def _price(rng: random.Random, low: int, high: int, factor: float, *, nines: bool) -> int:
    cents = int(rng.randint(low, high) * factor)
    if nines:
        return max(9, cents // 10 * 10 + 9 if cents % 100 < 90 else cents // 100 * 100 + 99)
    return max(10, round(cents / 10) * 10)


def _content(sale: str) -> tuple[str, Decimal | None, str]:
    """A sale label ("kg", "piece", "500 g", "2.5 l") as (unit, content quantity, content unit)."""
    if sale == "kg":
        return SaleUnit.KILOGRAM, None, ""
    if sale == "litre":
        return SaleUnit.LITRE, None, ""
    if sale == "piece":
        return SaleUnit.PIECE, None, ""
    quantity, unit = sale.split()
    return SaleUnit.PIECE, Decimal(quantity), unit


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` along ``weights`` so that the parts add up exactly (largest remainder)."""
    if total <= 0 or not weights or sum(weights) <= 0:
        return [0] * len(weights)
    shares = [total * weight / sum(weights) for weight in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda index: shares[index] - parts[index], reverse=True)
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return parts


@dataclass
class _ProductSpec:
    title: str
    price_cents: int
    vat: int
    sale: str
    category: str
    perishable: bool
    alcohol: bool
    tracked: bool
    ean: bool
    description: str


def _shop_products(rng: random.Random, trade: Trade, count: int, merchant_name: str) -> list[_ProductSpec]:
    """``count`` distinct products for one merchant of ``trade``, drawn from its families."""
    plain: list[tuple[Family, Item, str, float]] = []
    rest: list[tuple[Family, Item, str, float]] = []
    for key in trade.families:
        family = FAMILIES[key]
        for item in family.items:
            for position, (suffix, factor) in enumerate(family.qualifiers):
                # Plain titles first (a shop sells the basic item before its variations).
                (rest if position else plain).append((family, item, suffix, factor))
    rng.shuffle(plain)
    rng.shuffle(rest)
    ordered = plain + rest
    specs: list[_ProductSpec] = []
    for index in range(count):
        family, item, suffix, factor = ordered[index % len(ordered)]
        round_number = index // len(ordered)
        title = f"{item.title}{suffix}" + (f" — réf. {round_number + 1}" if round_number else "")
        description = rng.choice(family.descriptions) if family.descriptions else ""
        specs.append(
            _ProductSpec(
                title=title,
                price_cents=_price(rng, item.low_cents, item.high_cents, factor, nines=False),
                vat=item.vat if item.vat is not None else family.vat,
                sale=item.sale,
                category=family.category,
                perishable=family.perishable,
                alcohol=item.alcohol if item.alcohol is not None else family.alcohol,
                tracked=family.tracked,
                ean=rng.random() < family.ean_share,
                description=f"{description} Chez {merchant_name}."
                if description
                else f"{title}, chez {merchant_name}.",
            )
        )
    return specs


def _supermarket_products(rng: random.Random, count: int) -> list[_ProductSpec]:
    combos = [
        (shelf, title, size, brand)
        for shelf in SHELF
        for title in shelf.titles
        for size in shelf.sizes
        for brand in SUPERMARKET_BRANDS
    ]
    rng.shuffle(combos)
    specs: list[_ProductSpec] = []
    for index in range(count):
        shelf, title, (label, quantity, unit, size_factor), (brand, brand_factor) = combos[index % len(combos)]
        bundle = index // len(combos)
        name = f"{title} {brand} {label}" + (f" (lot de {bundle + 1})" if bundle else "")
        base = shelf.base_cents * size_factor * brand_factor * (bundle + 1)
        sale = f"{quantity} {unit}" if unit else "piece"
        specs.append(
            _ProductSpec(
                title=name,
                price_cents=_price(rng, int(base * 0.9), int(base * 1.1) + 1, 1.0, nines=True),
                vat=shelf.vat,
                sale=sale,
                category=shelf.category,
                perishable=shelf.perishable,
                alcohol=shelf.alcohol,
                tracked=True,
                ean=True,
                description=(
                    "L'abus d'alcool est dangereux pour la santé, à consommer avec modération."
                    if shelf.alcohol
                    else f"{title} de la marque {brand}, en rayon dans votre supermarché partenaire."
                ),
            )
        )
    return specs


# --- the generator -------------------------------------------------------------------------------


@dataclass
class DemoCatalogue:
    merchants: int = 0
    products: int = 0
    variants: int = 0
    published_products: int = 0
    opening_periods: int = 0
    merchants_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _no_progress(_message: str) -> None:
    return None


def _pick_trades(rng: random.Random, profile: TownProfile, count: int) -> list[str]:
    """Which trade each merchant has: weighted draws, then every merchant kind at least once."""
    keys = list(TRADES)
    weights = [profile.trade_weights.get(key, TRADES[key].weight * profile.other_trades_factor) for key in keys]
    picked = rng.choices(keys, weights=weights, k=count)
    kinds_needed = [
        kind for kind in MerchantKind.values if kind != MerchantKind.PARTNER_SUPERMARKET
    ]  # the supermarket is added apart
    for position, kind in enumerate(kinds_needed):
        if position >= count:
            break
        if not any(TRADES[key].kind == kind for key in picked):
            choices = [key for key in keys if TRADES[key].kind == kind]
            # Replace a draw of the most common kind so the spread stays believable.
            common = Counter(TRADES[key].kind for key in picked).most_common(1)[0][0]
            slot = next(index for index, key in enumerate(picked) if TRADES[key].kind == common)
            picked[slot] = rng.choice(choices)
    return picked


ELISION = re.compile(r"\bde (?=[AEIOUYÉÈÊÂÎÔaeiouyéèêâîô])")


def _merchant_name(rng: random.Random, trade: Trade, profile: TownProfile, taken: set[str]) -> str:
    surnames = profile.surnames + COMMON_SURNAMES
    for attempt in range(40):
        template = rng.choice(trade.names)
        name = template.format(
            surname=rng.choice(surnames),
            first=rng.choice(FIRST_NAMES),
            of_district=rng.choice(profile.districts),
            city=profile.city,
        )
        name = ELISION.sub("d'", name)
        if attempt > 20:
            name = f"{name} ({rng.choice(profile.streets)})"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{name} {len(taken)}"
    taken.add(name)
    return name


def _phone(rng: random.Random, profile: TownProfile, *, mobile: bool) -> str:
    head = rng.choice(("06", "07")) if mobile else f"03 {profile.phone_prefix}"
    groups = 4 if mobile else 3
    return " ".join([head, *(f"{rng.randrange(0, 100):02d}" for _ in range(groups))])


def generate_catalogue(
    *,
    merchants: int,
    products: int,
    supermarket_products: int,
    profile: str,
    seed: int,
    progress: Progress | None = None,
) -> DemoCatalogue:
    """Fill the current town's catalogue with ``merchants`` merchants and ``products`` products in all.

    ``supermarket_products`` of the products belong to one partner supermarket (none when 0). Run
    inside the town (``with town:``); all of it is written in one transaction.
    """
    report = progress or _no_progress
    town = PROFILES[profile]
    rng = random.Random(seed)  # noqa: S311 - demo content, not secrets
    started = time.perf_counter()
    supermarket_products = max(0, min(supermarket_products, products))
    has_supermarket = supermarket_products > 0 and merchants > 0
    summary = DemoCatalogue()

    with transaction.atomic():
        seed_default_categories()
        categories = dict(Category.objects.values_list("slug", "pk"))
        trade_keys = _pick_trades(rng, town, merchants - (1 if has_supermarket else 0))
        merchant_trades: list[Trade] = [TRADES[key] for key in trade_keys]
        if has_supermarket:
            merchant_trades.insert(0, SUPERMARKET_TRADE)

        names: set[str] = set()
        slugs: set[str] = set()
        rows: list[Merchant] = []
        for index, trade in enumerate(merchant_trades):
            if trade is SUPERMARKET_TRADE:
                name = town.supermarket_name
                names.add(name)
            else:
                name = _merchant_name(rng, trade, town, names)
            slug = slugify(name)[:170] or "commerce"
            while slug in slugs:
                slug = f"{slug}-{len(slugs)}"
            slugs.add(slug)
            district = rng.choice(town.districts)
            is_showcase = trade.always_showcase or (
                trade is not SUPERMARKET_TRADE and rng.random() < town.showcase_share
            )
            spread = 0.03 if trade.kind in (MerchantKind.ARTISAN, MerchantKind.MARKET_TRADER) else 0.012
            status_draw = rng.random()
            status = (
                MerchantStatus.LIVE
                if trade is SUPERMARKET_TRADE or index < 2 or status_draw < 0.92
                else MerchantStatus.DRAFT
                if status_draw < 0.96
                else MerchantStatus.PAUSED
            )
            domain = slugify(name).replace("-", "")[:30] or "commerce"
            mobile = trade.kind in (MerchantKind.ARTISAN, MerchantKind.MARKET_TRADER, MerchantKind.ASSOCIATION)
            rows.append(
                Merchant(
                    name=name,
                    slug=slug,
                    kind=trade.kind,
                    status=status,
                    description=" ".join(
                        text.format(of_district=district, city=town.city) for text in trade.descriptions
                    ),
                    address_line=f"{rng.randint(1, 140)} {rng.choice(town.streets)}",
                    postcode=town.postcode,
                    city=town.city,
                    insee_code=town.insee_code,
                    latitude=Decimal(f"{town.latitude + rng.uniform(-spread, spread) * 0.7:.6f}"),
                    longitude=Decimal(f"{town.longitude + rng.uniform(-spread, spread):.6f}"),
                    phone=_phone(rng, town, mobile=mobile and rng.random() < 0.7),
                    email=f"contact@{domain}.fr" if rng.random() < 0.8 else "",
                    website=f"https://www.{domain}.fr" if rng.random() < 0.45 else "",
                    social_links=(
                        {"facebook": f"https://www.facebook.com/{domain}"}
                        | ({"instagram": f"https://www.instagram.com/{domain}"} if rng.random() < 0.5 else {})
                        if rng.random() < 0.6
                        else {}
                    ),
                    siret=siret(rng) if trade.kind != MerchantKind.ASSOCIATION or rng.random() < 0.3 else "",
                    is_vat_exempt=rng.random() < trade.vat_exempt_share,
                    sells_online=not is_showcase,
                    click_and_collect=not is_showcase,
                    delivery_eligible=not is_showcase and trade.kind != MerchantKind.RESTAURANT and rng.random() < 0.6,
                    is_featured=status == MerchantStatus.LIVE and (trade is SUPERMARKET_TRADE or rng.random() < 0.08),
                )
            )
        for chunk in _chunks(rows, CHUNK):
            Merchant.objects.bulk_create(chunk)
        summary.merchants = len(rows)
        summary.merchants_by_kind = dict(Counter(row.kind for row in rows))
        report(f"{len(rows)} commerçants créés")

        links = [
            Merchant.categories.through(merchant_id=merchant.pk, category_id=categories[trade.category])
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            if trade.category in categories
        ]
        Merchant.categories.through.objects.bulk_create(links, batch_size=CHUNK)
        periods = [
            OpeningPeriod(merchant_id=merchant.pk, weekday=day, opens_at=opens, closes_at=closes)
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            for day, spans in sorted(_week(rng, trade.hours, town.market_days).items())
            for opens, closes in spans
        ]
        OpeningPeriod.objects.bulk_create(periods, batch_size=CHUNK)
        summary.opening_periods = len(periods)
        year = timezone.localdate().year
        closures = [
            Closure(
                merchant_id=merchant.pk,
                starts_on=date(year, 8, start),
                ends_on=date(year, 8, start) + timedelta(days=rng.choice((6, 13, 20))),
                reason="Congés annuels",
            )
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            if trade.kind in (MerchantKind.SHOP, MerchantKind.RESTAURANT) and rng.random() < 0.25
            for start in (rng.randint(1, 15),)
        ]
        Closure.objects.bulk_create(closures, batch_size=CHUNK)

        # Products: the supermarket's share first, the rest spread over merchants that sell things.
        sellers = [
            index
            for index, trade in enumerate(merchant_trades)
            if trade is not SUPERMARKET_TRADE and trade.product_weight > 0
        ]
        weights = [merchant_trades[index].product_weight * rng.uniform(0.5, 1.5) for index in sellers]
        counts = dict(zip(sellers, _allocate(products - supermarket_products, weights), strict=True))
        if has_supermarket:
            counts[0] = supermarket_products
        total = sum(counts.values())
        eans: set[str] = set()
        product_ids: list[int] = []
        pending_products: list[Product] = []
        pending_variants: list[tuple[Product, Variant]] = []

        def flush() -> None:
            Product.objects.bulk_create(pending_products)
            variants = []
            for product, variant in pending_variants:
                variant.product_id = product.pk
                variants.append(variant)
            Variant.objects.bulk_create(variants)
            ids = [product.pk for product in pending_products]
            refresh_search_vectors(product_ids=ids)
            product_ids.extend(ids)
            summary.published_products += sum(product.is_published for product in pending_products)
            pending_products.clear()
            pending_variants.clear()
            report(f"{len(product_ids)} / {total} produits")

        for index, merchant in enumerate(rows):
            count = counts.get(index, 0)
            if not count:
                continue
            trade = merchant_trades[index]
            specs = (
                _supermarket_products(rng, count)
                if trade is SUPERMARKET_TRADE
                else _shop_products(rng, trade, count, merchant.name)
            )
            product_slugs: set[str] = set()
            for number, spec in enumerate(specs, start=1):
                slug = slugify(spec.title)[:200] or "produit"
                while slug in product_slugs:
                    slug = f"{slug[:190]}-{number}"
                product_slugs.add(slug)
                unit, quantity, content_unit = _content(spec.sale)
                vat = VatRate.NONE if merchant.is_vat_exempt else spec.vat
                product = Product(
                    merchant_id=merchant.pk,
                    title=spec.title,
                    slug=slug,
                    description=spec.description,
                    category_id=categories.get(spec.category),
                    price_cents=spec.price_cents,
                    vat_rate=vat,
                    unit=unit,
                    content_quantity=quantity,
                    content_unit=content_unit if quantity is not None and content_unit else "",
                    is_perishable=spec.perishable,
                    is_alcohol=spec.alcohol,
                    is_published=rng.random() < 0.9,
                    is_featured=rng.random() < 0.02,
                )
                if product.content_quantity is not None and not product.content_unit:
                    product.content_quantity = None  # "× 6": a count, not a measured content
                stock = None
                if spec.tracked:
                    stock = 0 if rng.random() < 0.04 else rng.randint(1, 300 if trade is SUPERMARKET_TRADE else 60)
                variant = Variant(
                    merchant_id=merchant.pk,
                    sku=f"{trade.sku_prefix}-{number:05d}",
                    ean=ean13(rng, eans) if spec.ean else "",
                    stock=stock,
                )
                pending_products.append(product)
                pending_variants.append((product, variant))
                if len(pending_products) >= CHUNK:
                    flush()
        if pending_products:
            flush()
        refresh_search_vectors(merchant_ids=[merchant.pk for merchant in rows])
        summary.products = summary.variants = len(product_ids)

        # Spread creation dates over the past year so "newest" lists look like a real town.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalog_merchant SET created_at = created_at - ((id * 7919) %% 525600) * interval '1 minute'"
                " WHERE id = ANY(%s)",
                [[merchant.pk for merchant in rows]],
            )
            if product_ids:
                cursor.execute(
                    "UPDATE catalog_product SET created_at = created_at - ((id * 104729) %% 525600) * interval '1 minute'"
                    " WHERE id = ANY(%s)",
                    [product_ids],
                )
    summary.seconds = time.perf_counter() - started
    return summary
