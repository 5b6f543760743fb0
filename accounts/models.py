"""People who log in. Each town has its own users (its own schema); operator staff live in public."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, AnonymousUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Équipe opérateur")
    TOWN_ADMIN = "town_admin", _("Administrateur de la ville")
    TOWN_AGENT = "town_agent", _("Agent de la ville")
    MERCHANT_STAFF = "merchant_staff", _("Commerçant")
    COURIER = "courier", _("Livreur")
    RESIDENT = "resident", _("Habitant")


TOWN_STAFF_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_AGENT})


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

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.email

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
