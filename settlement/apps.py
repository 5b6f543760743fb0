from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = "Reversements aux commerçants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from checkout import signals
        from settlement import receivers, tasks  # noqa: F401  (tasks registers the periodic tasks)

        signals.order_paid.connect(receivers.on_order_paid, dispatch_uid="settlement-order-paid")
        signals.order_refunded.connect(receivers.on_order_refunded, dispatch_uid="settlement-order-refunded")
        signals.payment_fee_known.connect(receivers.on_payment_fee_known, dispatch_uid="settlement-payment-fee-known")
        signals.dispute_changed.connect(receivers.on_dispute_changed, dispatch_uid="settlement-dispute-changed")
        signals.merchant_order_handed_over.connect(
            receivers.on_merchant_order_handed_over, dispatch_uid="settlement-merchant-order-handed-over"
        )
