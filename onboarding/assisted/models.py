"""Assisted sessions (an agent acting for a merchant) and the log of what changed during them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Merchant


class EndReason(models.TextChoices):
    BY_AGENT = "by_agent", _("Terminée par l’agent")
    LOGOUT = "logout", _("Déconnexion de l’agent")
    IDLE = "idle", _("Sans activité pendant 2 heures")
    REPLACED = "replaced", _("Remplacée par une nouvelle session")
    REVOKED = "revoked", _("L’agent n’a plus les droits")


class AssistedSession(models.Model):
    """A town agent acting for one merchant, from « Agir pour le compte de … » to its end.

    People ids are values (``agent_id``, ``ended_by_id``) with the agent's address at the time, like
    every town-only journal: the history still reads right after an account changes or goes.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+", verbose_name=_("commerce"))
    agent_id = models.BigIntegerField()
    agent_label = models.CharField(_("agent"), max_length=254)
    agent_role = models.CharField(max_length=20)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("début"), default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    ended_by_id = models.BigIntegerField(null=True, blank=True)  # None: ended by the platform (idle, replaced)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("session d’assistance")
        verbose_name_plural = _("sessions d’assistance")
        ordering = ("-started_at", "-pk")
        constraints = [
            # One open session per agent: acting for two merchants at once would blur whose change is whose.
            models.UniqueConstraint(
                fields=("agent_id",), condition=Q(ended_at__isnull=True), name="assisted_one_open_session_per_agent"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="") | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                name="assisted_session_ended_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_label} → {self.merchant_id} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class ChangeKind(models.TextChoices):
    CREATE = "create", _("Ajout")
    UPDATE = "update", _("Modification")
    DELETE = "delete", _("Suppression")
    # A form sent while acting whose writes no model signal saw (a bulk update): what was submitted.
    REQUEST = "request", _("Action")


class AssistedChange(models.Model):
    """One change made while acting for a merchant, written in the same transaction as the change."""

    session = models.ForeignKey(AssistedSession, on_delete=models.PROTECT, related_name="changes")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    agent_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    model_label = models.CharField(max_length=100, blank=True)  # "catalog.product"; "" for a request
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # {field: [old, new]} for a model change (values as text, secrets masked); {field: value} for a request.
    changes = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("modification en mode assisté")
        verbose_name_plural = _("modifications en mode assisté")
        ordering = ("at", "pk")
        indexes = [models.Index(fields=["merchant", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.model_label}#{self.object_id}"
