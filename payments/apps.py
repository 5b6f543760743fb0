from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Moyens de paiement"
    default_auto_field = "django.db.models.BigAutoField"
