"""The gateway events a town has acted upon (docs/architecture.md §4: each event id stored once, in the same
transaction as its effect). In each town's schema, next to the orders and payouts they touched."""

from __future__ import annotations

from django.db import models


class WebhookEvent(models.Model):
    """A gateway event already acted upon; stored in the same transaction as its effect."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.event_id
