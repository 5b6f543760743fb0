"""People who log in. Each town has its own users (its own schema); operator staff live in public."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, AnonymousUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.assisted import Assisted


class Role(models.TextChoices):
    OPERATOR = "operator", _("Équipe opérateur")
    TOWN_ADMIN = "town_admin", _("Administrateur de la ville")
    TOWN_AGENT = "town_agent", _("Agent de la ville")
    MERCHANT_STAFF = "merchant_staff", _("Commerçant")
    COURIER = "courier", _("Livreur")
    DELIVERY_COORDINATOR = "delivery_coordinator", _("Coordinateur des livraisons")
    RESIDENT = "resident", _("Habitant")


TOWN_STAFF_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_AGENT})
# The people the back-office lists and invites: everyone but residents (who sign up themselves) and
# the operator's staff (public schema).
INVITABLE_ROLES = (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR, Role.COURIER, Role.MERCHANT_STAFF)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        # Accounts made in code (createsuperuser, commands, seeds, tests) come with an address their
        # maker vouches for; only self-service signups (allauth) must confirm theirs by e-mail.
        from accounts.actions import record_verified_email

        record_verified_email(user=user)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.OPERATOR)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # no username column: users sign in by e-mail
    email = models.EmailField(_("adresse e-mail"), unique=True)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Signs in by e-mail: create_user(email, password), not AbstractUser's create_user(username, ...).
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]
    # Set on a request's instance while a town agent acts for a merchant (accounts.assisted).
    assisted: Assisted | None = None

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        assisted = self.assisted
        if assisted is None:
            super().save(*args, **kwargs)
            return
        # Acting for a merchant lends the merchant staff role to this request's instance only: the
        # agent's own role and flags are what the database keeps.
        borrowed = self.role, self.is_staff, self.is_superuser
        self.role, self.is_staff, self.is_superuser = (
            assisted.agent_role,
            assisted.agent_is_staff,
            assisted.agent_is_superuser,
        )
        try:
            super().save(*args, **kwargs)
        finally:
            self.role, self.is_staff, self.is_superuser = borrowed

    @property
    def is_town_staff(self) -> bool:
        return self.role in TOWN_STAFF_ROLES

    @property
    def is_town_admin(self) -> bool:
        return self.role == Role.TOWN_ADMIN

    @property
    def can_manage_catalogue(self) -> bool:
        return self.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.MERCHANT_STAFF)

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR and self.is_staff


def user_reference(**options: Any) -> models.ForeignKey:
    """Who did it, in a town's table: a user of the town, kept as a reference the database does not enforce.

    Users also live in the public schema, where the towns' tables do not exist: with a real foreign key,
    deleting any user there (an operator) would look them up and fail; and deleting a departed agent
    must not erase who signed an exported batch, published an agreement or moved a prospect.
    """
    return models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        **options,
    )


# ``request.user`` on any request: a signed-in user, or Django's anonymous one (checks that accept
# both test ``is_authenticated`` first).
AnyUser = User | AnonymousUser


class ApiToken(models.Model):
    """A secret for integrations (``Authorization: Token <key>``), stored hashed, per schema.

    Lives in public (operator staff) and in every town (merchants' integrations): a token of one
    town means nothing on another, like its users.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    EXPIRED = "expired", _("expirée")
    ACCEPTED = "accepted", _("acceptée")
    CANCELLED = "cancelled", _("annulée")


class Invitation(models.Model):
    """A one-use link, sent by e-mail (or by SMS when only a phone number is known), to join the town's
    back-office with a role.

    Only the SHA-256 of the link's token is kept: the clear token exists in the message alone, so a
    copy of the database opens no account. Resending mints a new token (the old link dies). A merchant
    staff invitation names its merchants by id (``merchant_ids``, values: accounts sits below catalog);
    catalog turns them into memberships when the invitation is accepted (``accounts.signals``).
    People ids are values too (``invited_by_id``, ``user_id``), as for every town-only table.
    """

    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = models.CharField(_("téléphone mobile"), max_length=20, blank=True)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    merchant_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by_id = models.BigIntegerField(null=True, blank=True)  # None: the platform (town provisioning)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)  # the account made (or joined) on acceptance

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="", phone=""), name="invitation_has_an_address_or_a_phone"
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(cancelled_at__isnull=True),
                name="invitation_accepted_or_cancelled_not_both",
            ),
            # One open invitation per address: a second one would be a second live link for the same person.
            models.UniqueConstraint(
                fields=("email",),
                condition=models.Q(accepted_at__isnull=True, cancelled_at__isnull=True) & ~models.Q(email=""),
                name="invitation_one_open_per_email",
            ),
            models.UniqueConstraint(
                fields=("phone",),
                condition=models.Q(accepted_at__isnull=True, cancelled_at__isnull=True, email=""),
                name="invitation_one_open_per_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email or self.phone} ({self.get_role_display()})"

    @property
    def contact(self) -> str:
        return self.email or self.phone

    def status_at(self, moment: dt.datetime) -> InvitationStatus:
        if self.cancelled_at is not None:
            return InvitationStatus.CANCELLED
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= moment:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at(timezone.now())


class AuditAction(models.TextChoices):
    INVITED = "invited", _("Invitation envoyée")
    RESENT = "resent", _("Invitation renvoyée")
    CANCELLED = "cancelled", _("Invitation annulée")
    ACCEPTED = "accepted", _("Invitation acceptée")
    MERCHANT_ADDED = "merchant_added", _("Commerce ajouté")
    MERCHANT_REMOVED = "merchant_removed", _("Commerce retiré")
    DEACTIVATED = "deactivated", _("Compte désactivé")
    REACTIVATED = "reactivated", _("Compte réactivé")
    ROLE_CHANGED = "role_changed", _("Rôle modifié")


class AuditEntry(models.Model):
    """One change to the town's people, written in the same transaction as the change; never edited.

    Actor and target are kept both as ids (values) and as the words shown at the time (their address),
    so the journal still reads right after an account changes or goes.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)  # None: the platform, or the invited person
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_user_id = models.BigIntegerField(null=True, blank=True)
    target_invitation_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=254)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des personnes")
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    @property
    def role_change(self) -> str:
        """ "Agent de la ville → Administrateur de la ville" for a role change, else ""."""
        if self.action != AuditAction.ROLE_CHANGED:
            return ""
        return f"{Role(self.details['from']).label} → {Role(self.details['to']).label}"
