from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = "Tournées de livraison"
    default_auto_field = "django.db.models.BigAutoField"
