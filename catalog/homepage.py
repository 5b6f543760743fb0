"""The town's home page blocks: who may arrange them, the draft they edit, and publishing it.

The town admin edits a draft (rows with ``is_draft``); residents see the published rows only. Publishing
replaces the published rows with a copy of the draft in one transaction, then gives the catalogue a
new version (``catalog.cache``) so that nothing cached from the old page answers again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import AnyUser
from catalog.cache import bump_catalogue_version
from catalog.models import HomeBlock, HomeBlockKind
from tenants.images import clean_image

BANNER_IMAGE_MAX_SIDE = 1600
# What is compared to tell whether the draft differs from the published page.
COMPARED_FIELDS = (
    "kind",
    "title",
    "text",
    "link_url",
    "link_label",
    "image",
    "starts_on",
    "ends_on",
    "published_on",
    "merchant_ids",
)


# --- reads -------------------------------------------------------------------------------------
def can_edit_home_page(user: AnyUser) -> bool:
    """Only the town's admins arrange its home page and branding (not agents, not merchants)."""
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_town_admin", False))


def require_home_page_editor(user: AnyUser) -> None:
    if not can_edit_home_page(user):
        raise PermissionDenied


def draft_blocks() -> QuerySet[HomeBlock]:
    return HomeBlock.objects.filter(is_draft=True).order_by("position", "pk")


def published_blocks() -> QuerySet[HomeBlock]:
    return HomeBlock.objects.filter(is_draft=False).order_by("position", "pk")


def get_draft_block_for(user: AnyUser, block_id: int) -> HomeBlock:
    """A draft block, for the town's admins only (404 for an unknown or published one)."""
    require_home_page_editor(user)
    return get_object_or_404(HomeBlock, pk=block_id, is_draft=True)


def is_shown_on(block: HomeBlock, day: dt.date) -> bool:
    """Whether a block shows on ``day`` (the town's date): a banner only between its dates, inclusive."""
    if block.starts_on and day < block.starts_on:
        return False
    return not (block.ends_on and day > block.ends_on)


def _signature(blocks: Iterable[HomeBlock]) -> list[tuple[Any, ...]]:
    return [tuple(str(getattr(block, field)) for field in COMPARED_FIELDS) for block in blocks]


def has_unpublished_changes() -> bool:
    """Whether the draft differs from what residents see."""
    return _signature(draft_blocks()) != _signature(published_blocks())


# --- actions -----------------------------------------------------------------------------------
def _check_link(link_url: str) -> None:
    if not link_url or (link_url.startswith("/") and not link_url.startswith("//")):
        return
    try:
        URLValidator(schemes=["http", "https"])(link_url)
    except ValidationError as error:
        raise ValidationError(
            {"link_url": _("Indiquez une adresse commençant par https:// ou une page du site commençant par /.")}
        ) from error


def save_home_block(
    *, block: HomeBlock, image: IO[bytes] | None = None, clear_image: bool = False, **fields: Any
) -> HomeBlock:
    """Save a draft block (new ones go last); its image is checked and re-encoded by the image engine."""
    for name, value in fields.items():
        setattr(block, name, value)
    block.is_draft = True
    _check_link(block.link_url)
    if block.starts_on and block.ends_on and block.ends_on < block.starts_on:
        raise ValidationError({"ends_on": _("La date de fin doit venir après la date de début.")})
    block.full_clean(exclude=["image", "position"])
    clean = None
    if image is not None:
        try:
            clean = clean_image(image, size=getattr(image, "size", None), max_side=BANNER_IMAGE_MAX_SIDE)
        except ValidationError as error:
            raise ValidationError({"image": error.messages}) from error
    with transaction.atomic():
        if block.pk is None:
            last = draft_blocks().aggregate(last=Max("position"))["last"]
            block.position = 0 if last is None else last + 1
        if clean is not None:
            block.image.save(f"bloc.{clean.extension}", clean.content, save=False)
        elif clear_image:
            block.image = ""  # the file stays: the published copy may show it
        block.save()
    return block


def move_home_block(*, block: HomeBlock, direction: str) -> None:
    """Swap a draft block with its neighbour ("up": earlier, "down": later); positions become 0..n-1."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    with transaction.atomic():
        ordered = list(draft_blocks().select_for_update())
        index = next(i for i, candidate in enumerate(ordered) if candidate.pk == block.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, candidate in enumerate(ordered):
            if candidate.position != position:
                HomeBlock.objects.filter(pk=candidate.pk).update(position=position)


def delete_home_block(*, block: HomeBlock) -> None:
    """Remove a block from the draft (the published page keeps it until the next publication)."""
    with transaction.atomic():
        block.delete()
        for position, pk in enumerate(draft_blocks().values_list("pk", flat=True)):
            HomeBlock.objects.filter(pk=pk).update(position=position)


def publish_home_blocks() -> int:
    """Make the draft the page residents see; returns the number of blocks published."""
    with transaction.atomic():
        drafts = list(draft_blocks().select_for_update())
        HomeBlock.objects.filter(is_draft=False).delete()
        copies = []
        for position, block in enumerate(drafts):
            copy = HomeBlock(**{field: getattr(block, field) for field in COMPARED_FIELDS})
            copy.is_draft, copy.position = False, position
            copies.append(copy)
        HomeBlock.objects.bulk_create(copies)
        bump_catalogue_version()
    return len(copies)


def default_block_title(kind: str) -> str:
    return str(HomeBlockKind(kind).label)
