from django.apps import AppConfig


class TownsiteConfig(AppConfig):
    name = "townsite"
    verbose_name = "Site de la ville"

    def ready(self) -> None:
        from tenants.signals import town_provisioned
        from townsite.actions import seed_town_site

        town_provisioned.connect(seed_town_site, dispatch_uid="townsite-seed")
