from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalog.actions import seed_default_categories
        from tenants.signals import town_provisioned

        town_provisioned.connect(seed_default_categories, dispatch_uid="catalog-seed-categories")
