from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from accounts.signals import invitation_accepted, register_affiliations
        from catalog.actions import seed_default_categories
        from catalog.people import join_invited_merchants, merchant_names_by_user
        from tenants.signals import town_provisioned

        town_provisioned.connect(seed_default_categories, dispatch_uid="catalog-seed-categories")
        invitation_accepted.connect(join_invited_merchants, dispatch_uid="catalog-join-invited-merchants")
        register_affiliations(merchant_names_by_user)
