from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Merchant, Product
from demo.catalog import generate_catalogue
from demo.catalog_content import PROFILES
from demo.homepage import attach_demo_shop_images, seed_demo_home_page
from demo.pictures import attach_demo_pictures
from tenants.models import Town


class Command(BaseCommand):
    help = (
        "Remplit le catalogue d'une ville de démonstration (commerçants, horaires, produits). "
        "Sans effet si la ville a déjà des commerçants."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant de la ville (ex. calais)")
        parser.add_argument("--profile", choices=sorted(PROFILES), required=True, help="modèle de ville")
        parser.add_argument("--seed", type=int, default=2026, help="graine : même graine, même catalogue")
        parser.add_argument("--merchants", type=int, default=None, help="nombre de commerçants (défaut du modèle)")
        parser.add_argument("--products", type=int, default=None, help="nombre de produits en tout")
        parser.add_argument(
            "--supermarket-products", type=int, default=None, help="dont produits du supermarché partenaire"
        )
        parser.add_argument(
            "--without-pictures", action="store_true", help="sans les illustrations des produits et des commerces"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        town = Town.objects.towns().filter(slug=options["slug"]).first()
        if town is None:
            raise CommandError(f"Aucune ville « {options['slug']} ».")
        profile = PROFILES[options["profile"]]
        with town:
            existing = Merchant.objects.count()
            if existing:
                self.stdout.write(
                    f"{town.name} a déjà un catalogue ({existing} commerçants, {Product.objects.count()} produits) : "
                    "rien à faire."
                )
                self._seed_home_page(town, with_pictures=not options["without_pictures"])
                return
            result = generate_catalogue(
                merchants=options["merchants"] if options["merchants"] is not None else profile.merchants,
                products=options["products"] if options["products"] is not None else profile.products,
                supermarket_products=(
                    options["supermarket_products"]
                    if options["supermarket_products"] is not None
                    else profile.supermarket_products
                ),
                profile=options["profile"],
                seed=options["seed"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
            pictures = (
                None
                if options["without_pictures"]
                else attach_demo_pictures(progress=lambda message: self.stdout.write(f"  {message}"))
            )
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(result.merchants_by_kind.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"{town.name} : {result.merchants} commerçants ({kinds}), {result.products} produits "
                f"dont {result.published_products} publiés, {result.opening_periods} créneaux d'ouverture, "
                f"en {result.seconds:.1f} s."
            )
        )
        if pictures is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{town.name} : {pictures.product_photos} produits et {pictures.shop_photos} commerces illustrés "
                    f"({pictures.drawings} dessins), en {pictures.seconds:.1f} s."
                )
            )
        self._seed_home_page(town, with_pictures=not options["without_pictures"])

    def _seed_home_page(self, town: Town, *, with_pictures: bool) -> None:
        """Shop logos and covers, then the home page's blocks: each once (``demo.homepage``)."""
        with town:
            images = attach_demo_shop_images() if with_pictures else None
            blocks = seed_demo_home_page()
        if images is not None:
            self.stdout.write(
                f"{town.name} : {images.logos} logos et {images.covers} photos de couverture de commerces."
            )
        if blocks:
            self.stdout.write(f"{town.name} : page d'accueil publiée ({blocks} blocs).")
