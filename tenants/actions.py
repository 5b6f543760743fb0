"""Every state change of towns: provisioning, suspension, deletion, the template and the spare pool."""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.clone import CloneSchema
from django_tenants.utils import get_public_schema_name, schema_exists, schema_rename

from tenants import schemas
from tenants.connection import connection
from tenants.hosts import town_public_host
from tenants.images import clean_image
from tenants.models import DEFAULT_PRIMARY_COLOUR, DEFAULT_SECONDARY_COLOUR, Domain, Town, TownKind, TownStatus
from tenants.signals import town_provisioned
from tenants.validators import (
    normalise_domain,
    validate_brand_colour,
    validate_domain_name,
    validate_insee_code,
    validate_town_slug,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# The logo shows at 48 px (96 on a sharp screen), the hero image at 480 px and as the link preview.
BRANDING_IMAGE_MAX_SIDES = {"logo": 512, "hero_image": 1600}


class ProvisioningError(ValidationError):
    """A town could not be created; the message is French and meant for the person who asked."""


@dataclass(frozen=True)
class ProvisionedTown:
    town: Town
    url: str
    method: str  # "spare", "clone" or "migrate"
    seconds: float
    admin_email: str | None


def _no_progress(_message: str) -> None:
    return None


def _public_origin(host: str) -> str:
    scheme = "http" if settings.LOCAL_DEVELOPMENT else "https"
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{scheme}://{host}{port}"


def town_url(town: Town) -> str:
    """The town's home page as mailed and published: ``town_absolute_url(town, "/")``."""
    return town_absolute_url(town, "/")


def town_absolute_url(town: Town, path: str) -> str:
    """``path`` (or an already absolute URL, e.g. a signed media link) on the town's public host.

    The one builder of absolute links (e-mails, invitations, password resets, canonical, og:image,
    JSON-LD, sitemap): the town's verified primary domain (the root domain for the operator site's
    stand-in town), https outside local development, the port of ``PUBLIC_URL_PORT`` — never the
    Host or port of the request being answered.
    """
    parts = urlsplit(path)
    if parts.scheme in ("http", "https") and parts.netloc:
        return path
    host = settings.PLATFORM_DOMAIN if town.schema_name == get_public_schema_name() else town_public_host(town)
    # A path only: "//elsewhere.example/x" (a request path may start so) stays on the town's host.
    return _public_origin(host) + "/" + path.lstrip("/")


def platform_url() -> str:
    """The operator site's home page, by the same rules as a town's links."""
    return _public_origin(settings.PLATFORM_DOMAIN) + "/"


def validate_new_town(
    *, slug: str, custom_domain: str | None, primary_color: str, secondary_color: str, insee_codes: Sequence[str]
) -> None:
    """Everything that can be refused before touching the database, with French messages."""
    errors: dict[str, list[ValidationError]] = {}

    def check(field: str, validator: Callable[[str], None], value: str) -> None:
        try:
            validator(value)
        except ValidationError as error:
            errors.setdefault(field, []).append(error)

    check("slug", validate_town_slug, slug)
    check("primary_color", validate_brand_colour, primary_color)
    check("secondary_color", validate_brand_colour, secondary_color)
    for code in insee_codes:
        check("insee_codes", validate_insee_code, code)
    if custom_domain:
        check("custom_domain", validate_domain_name, custom_domain)
        if custom_domain == settings.PLATFORM_DOMAIN or custom_domain.endswith("." + settings.PLATFORM_DOMAIN):
            errors.setdefault("custom_domain", []).append(
                ValidationError(
                    _("« %(domain)s » appartient déjà à la plateforme : indiquez le domaine propre à la ville.")
                    % {"domain": custom_domain}
                )
            )
    if errors:
        raise ProvisioningError(errors)
    if Town.objects.filter(slug=slug).exists():
        raise ProvisioningError(
            {"slug": [_("Une ville avec l'identifiant « %(slug)s » existe déjà.") % {"slug": slug}]}
        )
    hosts = [f"{slug}.{settings.PLATFORM_DOMAIN}", *([custom_domain] if custom_domain else [])]
    taken = Domain.objects.filter(domain__in=hosts).values_list("domain", flat=True).first()
    if taken:
        raise ProvisioningError(
            {
                "custom_domain": [
                    _("Le domaine « %(domain)s » est déjà utilisé par une autre ville.") % {"domain": taken}
                ]
            }
        )


def provision_town(
    *,
    slug: str,
    name: str,
    kind: str = TownKind.COMMUNE,
    custom_domain: str | None = None,
    admin_email: str | None = None,
    primary_color: str = DEFAULT_PRIMARY_COLOUR,
    secondary_color: str = DEFAULT_SECONDARY_COLOUR,
    tagline: str = "",
    insee_codes: Sequence[str] = (),
    time_zone: str = "Europe/Paris",
    method: str = "fast",
    progress: Progress = _no_progress,
) -> ProvisionedTown:
    """Create a town with its schema, host name and first admin — all of it or nothing.

    The schema comes from the spare pool (a rename), else a clone of the pre-migrated template;
    ``method="migrate"`` forces the slow migrate-from-zero path (benchmarks and fallback).
    """
    started = time.perf_counter()
    slug = (slug or "").strip()
    name = (name or "").strip()
    custom_domain = normalise_domain(custom_domain) if custom_domain else None
    admin_email = admin_email.strip().lower() if admin_email else None
    if not name:
        raise ProvisioningError({"name": [_("Le nom de la ville est obligatoire.")]})
    connection.set_schema_to_public()
    validate_new_town(
        slug=slug,
        custom_domain=custom_domain,
        primary_color=primary_color,
        secondary_color=secondary_color,
        insee_codes=insee_codes,
    )
    schema_name = schemas.schema_name_for_slug(slug)
    if schema_exists(schema_name, case_sensitive=False):
        raise ProvisioningError(
            {
                "slug": [
                    _("Un schéma « %(schema)s » existe déjà sans ville associée : contactez l'exploitant.")
                    % {"schema": schema_name}
                ]
            }
        )
    if method != "migrate":
        progress(_("Vérification du modèle de ville…"))
        ensure_template()

    ready: list[float] = []
    try:
        with transaction.atomic():
            progress(_("Création du schéma…"))
            town, used = _take_schema(schema_name, method=method)
            town.slug = slug
            town.name = name
            town.kind = kind
            town.insee_codes = list(insee_codes)
            town.time_zone = time_zone
            town.primary_color = primary_color
            town.secondary_color = secondary_color
            town.tagline = tagline
            with translation.override("fr"):  # stored text: the town's language, not the operator's
                town.publisher_name = town.publisher_name or _("Commune de %(name)s") % {"name": name}
            town.status = TownStatus.READY
            town.save()
            progress(_("Enregistrement des domaines…"))
            Domain.objects.create(
                domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=town, is_primary=True, is_verified=True
            )
            if custom_domain:
                Domain.objects.create(
                    domain=custom_domain,
                    tenant=town,
                    is_primary=False,
                    is_verified=False,
                    verification_token=secrets.token_urlsafe(24),
                )
            progress(_("Préparation du contenu de la ville…"))
            with town:
                # The apps above seed the town; accounts invites its first admin (tenants imports none of them).
                town_provisioned.send(sender=Town, town=town, admin_email=admin_email)
            # Registered first, so the time stops at commit, before the spare refill is handed over.
            transaction.on_commit(lambda: ready.append(time.perf_counter()))
            transaction.on_commit(_queue_spare_refill)
    except IntegrityError as error:
        connection.set_schema_to_public()
        hosts = [f"{slug}.{settings.PLATFORM_DOMAIN}", *([custom_domain] if custom_domain else [])]
        if Town.objects.filter(slug=slug).exists() or Domain.objects.filter(domain__in=hosts).exists():
            # Two operators creating the same slug at once: the unique constraints decided.
            raise ProvisioningError(
                {"slug": [_("Une ville avec l'identifiant « %(slug)s » ou ce domaine existe déjà.") % {"slug": slug}]}
            ) from error
        logger.exception("town provisioning failed", extra={"town": slug})
        raise ProvisioningError(_("La création de la ville a échoué ; rien n'a été créé. Réessayez.")) from error
    finally:
        connection.set_schema_to_public()
    # Inside an outer transaction (tests) the commit hooks have not run yet.
    elapsed = (ready[0] if ready else time.perf_counter()) - started
    logger.info("town provisioned", extra={"town": slug, "method": used, "seconds": round(elapsed, 3)})
    return ProvisionedTown(town=town, url=town_url(town), method=used, seconds=elapsed, admin_email=admin_email)


def _take_schema(schema_name: str, *, method: str) -> tuple[Town, str]:
    """Rename a spare schema when one is free, else clone the template (or migrate from zero)."""
    if method == "migrate":
        schemas.migrate_schema_from_zero(schema_name)
        return Town(schema_name=schema_name), "migrate"
    if method in ("fast", "spare"):
        spare = Town.objects.select_for_update(skip_locked=True).filter(status=TownStatus.SPARE).order_by("pk").first()
        if spare is not None:
            schema_rename(spare, schema_name, save=False)
            return spare, "spare"
    clone_template(schema_name)
    return Town(schema_name=schema_name), "clone"


def clone_template(schema_name: str) -> None:
    """Copy the pre-migrated template (structure and seed rows) and check the copy is at head."""
    connection.set_schema_to_public()
    # django-tenants' clone (re)creates its helper function and type in public on every call: two
    # clones at once collide there ("type cloneparms already exists"). One clone at a time.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('comptoir-clone'))")
    CloneSchema().clone_schema(schemas.TEMPLATE_SCHEMA, schema_name, "DATA")
    schemas.align_clone_with_template(schema_name)
    template = schemas.applied_migrations(schemas.TEMPLATE_SCHEMA)
    copied = schemas.applied_migrations(schema_name)
    if copied != template:
        raise ProvisioningError(_("La copie du modèle de ville est incomplète ; rien n'a été créé."))


def ensure_template() -> None:
    """Create the template schema, or bring it to head, when it is missing or behind the code."""
    connection.set_schema_to_public()
    if schemas.template_exists() and schemas.is_at_head(schemas.TEMPLATE_SCHEMA):
        return
    with transaction.atomic():
        # One builder at a time; the others wait and then find it ready.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('comptoir-template'))")
        if schemas.template_exists() and schemas.is_at_head(schemas.TEMPLATE_SCHEMA):
            return
        Town.objects.get_or_create(
            schema_name=schemas.TEMPLATE_SCHEMA,
            defaults={"status": TownStatus.TEMPLATE, "name": "Modèle", "migration_priority": 0},
        )
        schemas.migrate_schema_from_zero(schemas.TEMPLATE_SCHEMA)


def refill_spare_pool(*, size: int | None = None) -> int:
    """Clone the template into spare schemas until the pool holds ``size``; returns how many were made.

    One refill at a time: a refill started while another runs returns 0 at once, the running one
    counting the pool again before it stops.
    """
    target = settings.TOWN_SPARE_POOL_SIZE if size is None else size
    made = 0
    connection.set_schema_to_public()
    ensure_template()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtext('comptoir-spare-refill'))")
            locked = cursor.fetchone()
        if not (locked and locked[0]):
            return made
        try:
            while Town.objects.filter(status=TownStatus.SPARE).count() < target:
                schema_name = f"{schemas.SPARE_PREFIX}{secrets.token_hex(6)}"
                with transaction.atomic():
                    clone_template(schema_name)
                    Town.objects.create(schema_name=schema_name, status=TownStatus.SPARE, migration_priority=1)
                made += 1
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext('comptoir-spare-refill'))")
        # A spare taken between the last count and the unlock found the lock held: look once more.
        if Town.objects.filter(status=TownStatus.SPARE).count() >= target:
            return made


def _queue_spare_refill() -> None:
    if settings.TOWN_SPARE_POOL_SIZE <= 0:
        return
    from tenants.tasks import refill_spare_pool_task

    if refill_spare_pool_task.app.conf.task_always_eager:
        # No worker (no Redis): eager mode would clone the spares right here, seconds spent inside
        # the request (console, API) or command that created the town while its user waits for
        # nothing. A thread of this process refills after the commit instead: the response leaves at
        # once, and a command's process waits for the thread before it exits (not a daemon).
        threading.Thread(target=_refill_spare_pool_in_background, name="spare-pool-refill").start()
        return
    refill_spare_pool_task.delay()


def _refill_spare_pool_in_background() -> None:
    try:
        refill_spare_pool()
    except Exception:
        # Nobody waits on this thread: the log is where a failed refill shows (the next
        # provisioning then clones the template, slower but correct).
        logger.exception("spare pool refill failed")
    finally:
        connection.close()  # this thread's own connection


def suspend_town(*, town: Town) -> Town:
    """Take a town offline: its hosts answer a 503 page; nothing is deleted."""
    with transaction.atomic():
        town = Town.objects.select_for_update().get(pk=town.pk)
        if town.status not in (TownStatus.READY, TownStatus.SUSPENDED):
            raise ProvisioningError(_("Seule une ville en ligne peut être suspendue."))
        town.status = TownStatus.SUSPENDED
        town.save(update_fields=["status", "updated_at"])
    return town


def resume_town(*, town: Town) -> Town:
    """Put a suspended town back online."""
    with transaction.atomic():
        town = Town.objects.select_for_update().get(pk=town.pk)
        if town.status not in (TownStatus.READY, TownStatus.SUSPENDED):
            raise ProvisioningError(_("Seule une ville suspendue peut être remise en ligne."))
        town.status = TownStatus.READY
        town.save(update_fields=["status", "updated_at"])
    return town


def delete_town(*, town: Town) -> None:
    """Drop a town's schema with all its data, its domains and its row, in one transaction."""
    connection.set_schema_to_public()
    with transaction.atomic():
        town = Town.objects.select_for_update().get(pk=town.pk)
        if town.status not in (TownStatus.READY, TownStatus.SUSPENDED):
            raise ProvisioningError(_("Le modèle et les réserves ne se suppriment pas ainsi."))
        with connection.cursor() as cursor:
            # Deferred foreign-key checks still pending in this transaction would block DROP TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        town.delete(force_drop=True)


def update_branding(*, town: Town, **fields: Any) -> Town:
    """Change a town's name, colours, tagline, images or legal details (colours checked for contrast)."""
    # ``fields`` is form or API data: each value's type depends on its field, and is checked below.
    allowed = {
        "name",
        "tagline",
        "primary_color",
        "secondary_color",
        "logo",
        "hero_image",
        "kind",
        "insee_codes",
        "publisher_name",
        "publisher_address",
        "publisher_phone",
        "publisher_email",
        "publisher_siret",
        "publication_director",
        "payment_gateway",
        "stripe_account_id",
        "collector_mode",
        "pay_in_store_enabled",
        "max_units_per_product",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not branding fields: {sorted(unknown)}")
    errors: dict[str, list[ValidationError]] = {}
    for colour_field in ("primary_color", "secondary_color"):
        if colour_field in fields:
            try:
                validate_brand_colour(str(fields[colour_field]))
            except ValidationError as error:
                errors.setdefault(colour_field, []).append(error)
    for code in fields.get("insee_codes", []) or []:
        try:
            validate_insee_code(code)
        except ValidationError as error:
            errors.setdefault("insee_codes", []).append(error)
    if "stripe_account_id" in fields:
        fields["stripe_account_id"] = (str(fields["stripe_account_id"] or "")).strip() or None
    gateway = fields.get("payment_gateway", town.payment_gateway)
    account = fields.get("stripe_account_id", town.stripe_account_id)
    if account and not re.fullmatch(r"acct_[A-Za-z0-9]{6,}", str(account)):
        errors.setdefault("stripe_account_id", []).append(
            ValidationError(_("Un identifiant de compte Stripe commence par « acct_ »."))
        )
    if gateway == "stripe" and fields.get("collector_mode", town.collector_mode) == "regie" and not account:
        errors.setdefault("stripe_account_id", []).append(
            ValidationError(_("En régie, indiquez le compte Stripe connecté de la ville."))
        )
    if gateway == "test" and not settings.ALLOW_TEST_GATEWAY:
        errors.setdefault("payment_gateway", []).append(
            ValidationError(_("La passerelle de test est refusée sur ce serveur de production."))
        )
    if "name" in fields and not str(fields["name"] or "").strip():
        errors.setdefault("name", []).append(ValidationError(_("Le nom de la ville est obligatoire.")))
    for image_field, max_side in BRANDING_IMAGE_MAX_SIDES.items():
        upload = fields.get(image_field)
        if upload is None or not hasattr(upload, "read"):  # unchanged, or cleared (False / "")
            continue
        try:
            # What is stored is the engine's re-encoding, never the operator's file (metadata, payloads).
            clean = clean_image(upload, size=getattr(upload, "size", None), max_side=max_side, keep_transparency=True)
        except ValidationError as error:
            errors.setdefault(image_field, []).append(error)
        else:
            fields[image_field] = ContentFile(clean.content.read(), name=f"{image_field}.{clean.extension}")
    if errors:
        raise ProvisioningError(errors)
    with transaction.atomic():
        for field, value in fields.items():
            # save_form_data turns a cleared file field (False from the form's "Effacer") into "".
            model_field = cast(models.Field, Town._meta.get_field(field))  # every allowed name is a column
            model_field.save_form_data(town, value.strip() if field == "name" else value)
        town.save()
    return town


def add_custom_domain(*, town: Town, domain: str) -> Domain:
    """Attach a custom domain, unverified (not routed) until ``verify_custom_domain``."""
    domain = normalise_domain(domain)
    try:
        validate_domain_name(domain)
    except ValidationError as error:
        raise ProvisioningError({"custom_domain": error.messages}) from error
    if Domain.objects.filter(domain=domain).exists():
        raise ProvisioningError(
            {"custom_domain": [_("Le domaine « %(domain)s » est déjà utilisé.") % {"domain": domain}]}
        )
    return Domain.objects.create(
        domain=domain, tenant=town, is_primary=False, is_verified=False, verification_token=secrets.token_urlsafe(24)
    )


def verify_custom_domain(*, domain: Domain) -> Domain:
    """Mark a custom domain as verified (after the DNS check), so it is routed and gets a certificate."""
    domain.is_verified = True
    domain.save(update_fields=["is_verified"])
    return domain


__all__ = [
    "ProvisionedTown",
    "ProvisioningError",
    "add_custom_domain",
    "delete_town",
    "ensure_template",
    "provision_town",
    "refill_spare_pool",
    "resume_town",
    "suspend_town",
    "town_absolute_url",
    "town_url",
    "update_branding",
    "verify_custom_domain",
]
