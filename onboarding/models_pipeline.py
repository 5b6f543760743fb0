"""What the pipeline pages keep besides the prospects: the days the agents' digest was sent."""

from __future__ import annotations

from django.db import models


class DigestSent(models.Model):
    """The agents' daily digest of one day (town time): recorded before sending, so a day gets one.

    A day with nothing to say (nothing stalled, nothing moved) is recorded too, with no recipient:
    the decision is taken once a day.
    """

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField()
    recipients = models.PositiveSmallIntegerField(default=0)
    stalled_count = models.PositiveIntegerField(default=0)
    moves_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-day",)

    def __str__(self) -> str:
        return f"digest {self.day}: {self.recipients}"
