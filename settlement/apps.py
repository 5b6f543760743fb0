from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = "Reversements aux commerçants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from settlement import tasks  # noqa: F401  (tasks registers the periodic tasks)
        from settlement.ledger import receivers
        from settlement.payouts.collectors import register_collectors

        receivers.subscribe_to_checkout()
        register_collectors()
