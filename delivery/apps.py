from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = "Livraison"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from delivery.actions import seed_default_slots
        from tenants.signals import town_provisioned

        town_provisioned.connect(seed_default_slots, dispatch_uid="delivery-seed-slots")
