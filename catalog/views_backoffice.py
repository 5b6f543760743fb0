"""Catalogue back-office: merchants, products, variants, hours, photos and the category tree.

Every object comes from a ``catalog.queries.get_*_for(user, ...)`` call (404 when the user may not
manage it) and every change goes through a ``catalog.actions`` function.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseFormSet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actions import PeopleError, manageable_roles
from accounts.forms import InviteForm
from accounts.queries import open_invitations_for
from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog import actions, queries
from catalog.formatting import format_price
from catalog.forms import (
    CategoryForm,
    ClosureForm,
    MerchantForm,
    MerchantImagesForm,
    MerchantSearchForm,
    MerchantStaffForm,
    NewProductForm,
    NewProductStaffForm,
    OpeningPeriodForm,
    OpeningPeriodFormSet,
    PhotoAltTextForm,
    PhotoMoveForm,
    PhotoUploadForm,
    ProductForm,
    ProductStaffForm,
    StockForm,
    VariantForm,
)
from catalog.models import Category, Merchant, Photo, Product, Variant
from catalog.people import invite_merchant_staff, merchant_people, remove_merchant_staff

PAGE_SIZE = 50


# Anonymous → login page; signed in without a back-office role → 403 for the whole area.
backoffice_view = signed_in_view(queries.require_catalogue_backoffice)


def _is_staff(request: AuthenticatedRequest) -> bool:
    return queries.is_catalogue_manager(request.user)


# --- merchants -----------------------------------------------------------------------------------
@backoffice_view
def merchant_list(request: AuthenticatedRequest) -> HttpResponse:
    search = MerchantSearchForm(request.GET or None)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(queries.search_merchants_for(request.user, text), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"search": search, "page": page, "text": text, "is_staff": _is_staff(request)}
    return render(request, "catalog/backoffice/merchant_list.html", context)


@backoffice_view
def merchant_create(request: AuthenticatedRequest) -> HttpResponse:
    queries.require_catalogue_manager(request.user)
    form = MerchantStaffForm(request.POST or None, instance=Merchant())
    if request.method == "POST" and form.is_valid():
        merchant = actions.save_merchant(merchant=form.instance)
        actions.set_merchant_categories(merchant=merchant, categories=form.cleaned_data["categories"])
        messages.success(request, _("Le commerçant « %(name)s » est créé.") % {"name": merchant.name})
        return redirect("backoffice:merchant_edit", merchant_slug=merchant.slug)
    return render(request, "catalog/backoffice/merchant_form.html", {"form": form, "merchant": None})


@backoffice_view
def merchant_edit(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    saved_name = merchant.name  # the form writes typed values onto the instance, even invalid ones
    form_class = MerchantStaffForm if _is_staff(request) else MerchantForm
    form = form_class(request.POST or None, instance=merchant)
    if request.method == "POST" and form.is_valid():
        actions.save_merchant(merchant=form.instance)
        actions.set_merchant_categories(merchant=merchant, categories=form.cleaned_data["categories"])
        messages.success(request, _("Les informations sont enregistrées."))
        return redirect("backoffice:merchant_edit", merchant_slug=merchant.slug)
    context = {"form": form, "merchant": merchant, "merchant_name": saved_name}
    if _is_staff(request):
        context |= _staff_section(request, merchant, InviteForm(prefix="personne"))
    return render(request, "catalog/backoffice/merchant_form.html", context)


def _staff_section(request: AuthenticatedRequest, merchant: Merchant, invite_form: InviteForm) -> dict[str, object]:
    """The merchant's people and open invitations, and the form to invite one more (town staff only)."""
    return {
        "people": merchant_people(merchant),
        "invitations": list(open_invitations_for(request.user, merchant_id=merchant.pk)),
        "invite_form": invite_form,
        "manageable_roles": manageable_roles(request.user),
    }


@require_POST
@backoffice_view
def merchant_invite(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)  # 404 first: another's merchant stays unseen
    queries.require_catalogue_manager(request.user)
    back = reverse("backoffice:merchant_edit", kwargs={"merchant_slug": merchant.slug}) + "#personnes"
    if "retirer" in request.POST:  # a person taken off the staff, from the list above the invite form
        try:
            person_id = int(request.POST["retirer"])
            done = remove_merchant_staff(actor=request.user, merchant=merchant, person_id=person_id)
        except ValueError:
            messages.error(request, _("Cette personne ne travaille pas pour ce commerce."))
        except PeopleError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return redirect(back)
    invite_form = InviteForm(request.POST, prefix="personne")
    if invite_form.is_valid():
        try:
            done = invite_merchant_staff(
                actor=request.user,
                merchant=merchant,
                email=invite_form.cleaned_data["email"],
                phone=invite_form.cleaned_data["phone"],
            )
        except PeopleError as error:
            invite_form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect(reverse("backoffice:merchant_edit", kwargs={"merchant_slug": merchant.slug}) + "#personnes")
    form = MerchantStaffForm(instance=merchant)
    context = {"form": form, "merchant": merchant, "merchant_name": merchant.name}
    context |= _staff_section(request, merchant, invite_form)
    return render(request, "catalog/backoffice/merchant_form.html", context)


def _render_hours(
    request: AuthenticatedRequest,
    merchant: Merchant,
    *,
    formset: BaseFormSet[OpeningPeriodForm] | None = None,
    closure_form: ClosureForm | None = None,
) -> HttpResponse:
    if formset is None:
        initial = list(merchant.opening_periods.values("weekday", "opens_at", "closes_at"))
        formset = OpeningPeriodFormSet(initial=initial, prefix="plages")
    context = {
        "merchant": merchant,
        "formset": formset,
        "closure_form": closure_form or ClosureForm(prefix="fermeture"),
        "closures": merchant.closures.all(),
    }
    return render(request, "catalog/backoffice/merchant_hours.html", context)


@backoffice_view
def merchant_hours(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    if request.method != "POST":
        return _render_hours(request, merchant)
    formset = OpeningPeriodFormSet(request.POST, prefix="plages")
    if formset.is_valid():
        periods = [
            (form.cleaned_data["weekday"], form.cleaned_data["opens_at"], form.cleaned_data["closes_at"])
            for form in formset.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            actions.save_opening_hours(merchant=merchant, periods=periods)
        except ValidationError as error:
            # Django has no public way to add an error to a validated formset; non_form_errors() reads this.
            formset._non_form_errors = formset.error_class(  # type: ignore[attr-defined]
                error.messages, error_class="nonform"
            )
        else:
            messages.success(request, _("Les horaires sont enregistrés."))
            return redirect("backoffice:merchant_hours", merchant_slug=merchant.slug)
    return _render_hours(request, merchant, formset=formset)


@backoffice_view
@require_POST
def closure_add(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    form = ClosureForm(request.POST, prefix="fermeture")
    if not form.is_valid():
        return _render_hours(request, merchant, closure_form=form)
    actions.add_closure(merchant=merchant, **form.cleaned_data)
    messages.success(request, _("La fermeture exceptionnelle est ajoutée."))
    return redirect("backoffice:merchant_hours", merchant_slug=merchant.slug)


@backoffice_view
@require_POST
def closure_delete(request: AuthenticatedRequest, closure_id: int) -> HttpResponse:
    closure = queries.get_closure_for(request.user, closure_id)
    actions.delete_closure(closure=closure)
    messages.success(request, _("La fermeture exceptionnelle est supprimée."))
    return redirect("backoffice:merchant_hours", merchant_slug=closure.merchant.slug)


# --- products and variants -----------------------------------------------------------------------
@backoffice_view
def product_list(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    products = queries.products_of_merchant_for(request.user, merchant)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    for product in page.object_list:
        product.price_display = format_price(product.price_cents)
    return render(request, "catalog/backoffice/product_list.html", {"merchant": merchant, "page": page})


@backoffice_view
def product_create(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    form_class = NewProductStaffForm if _is_staff(request) else NewProductForm
    default_vat = 0 if merchant.is_vat_exempt else 2000
    form = form_class(
        request.POST or None,
        instance=Product(merchant=merchant, vat_rate=default_vat),
        initial={"vat_rate": default_vat},
    )
    if request.method == "POST" and form.is_valid():
        product = actions.save_product(
            product=form.instance, sku=form.cleaned_data["sku"] or None, stock=form.cleaned_data["stock"]
        )
        messages.success(request, _("Le produit « %(title)s » est créé.") % {"title": product.title})
        return redirect("backoffice:product_edit", product_id=product.pk)
    return render(request, "catalog/backoffice/product_form.html", {"form": form, "merchant": merchant})


@backoffice_view
def product_edit(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    product = queries.get_product_for(request.user, product_id)
    saved_title = product.title
    form_class = ProductStaffForm if _is_staff(request) else ProductForm
    form = form_class(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        actions.save_product(product=form.instance)
        messages.success(request, _("Le produit est enregistré."))
        return redirect("backoffice:product_edit", product_id=product.pk)
    context = {
        "form": form,
        "merchant": product.merchant,
        "product": product,
        "product_title": saved_title,
        "variants": product.variants.order_by("position", "pk"),
    }
    return render(request, "catalog/backoffice/product_form.html", context)


def _back_to(request: AuthenticatedRequest, product: Product) -> HttpResponse:
    """Quick toggles return to the page they were pressed on: the list (at the row) or the product."""
    if request.POST.get("return_to") == "list":
        url = reverse("backoffice:product_list", kwargs={"merchant_slug": product.merchant.slug})
        return redirect(f"{url}#produit-{product.pk}")
    return redirect("backoffice:product_edit", product_id=product.pk)


@backoffice_view
@require_POST
def product_publication(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    product = queries.get_product_for(request.user, product_id)
    is_published = request.POST.get("is_published") == "1"
    try:
        actions.set_product_published(product=product, is_published=is_published)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to(request, product)
    message = _("« %(title)s » est publié.") if is_published else _("« %(title)s » est retiré de la vitrine.")
    messages.success(request, message % {"title": product.title})
    return _back_to(request, product)


@backoffice_view
def variant_create(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    product = queries.get_product_for(request.user, product_id)
    form = VariantForm(request.POST or None, instance=Variant(product=product, merchant=product.merchant))
    if request.method == "POST" and form.is_valid():
        actions.save_variant(variant=form.instance)
        messages.success(request, _("La déclinaison est ajoutée."))
        return redirect("backoffice:product_edit", product_id=product.pk)
    return render(request, "catalog/backoffice/variant_form.html", {"form": form, "product": product})


@backoffice_view
def variant_edit(request: AuthenticatedRequest, variant_id: int) -> HttpResponse:
    variant = queries.get_variant_for(request.user, variant_id)
    form = VariantForm(request.POST or None, instance=variant)
    if request.method == "POST" and form.is_valid():
        actions.save_variant(variant=form.instance)
        messages.success(request, _("La déclinaison est enregistrée."))
        return redirect("backoffice:product_edit", product_id=variant.product_id)
    context = {"form": form, "product": variant.product, "variant": variant}
    return render(request, "catalog/backoffice/variant_form.html", context)


@backoffice_view
@require_POST
def variant_delete(request: AuthenticatedRequest, variant_id: int) -> HttpResponse:
    variant = queries.get_variant_for(request.user, variant_id)
    try:
        actions.delete_variant(variant=variant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("La déclinaison est supprimée."))
    return redirect("backoffice:product_edit", product_id=variant.product_id)


@backoffice_view
@require_POST
def variant_stock(request: AuthenticatedRequest, variant_id: int) -> HttpResponse:
    variant = queries.get_variant_for(request.user, variant_id)
    form = StockForm(request.POST)
    if form.is_valid():
        actions.set_variant_stock(variant=variant, stock=form.cleaned_data["stock"])
        messages.success(request, _("Le stock de « %(name)s » est mis à jour.") % {"name": variant})
    else:
        messages.error(request, _("Stock refusé : saisissez un nombre entier positif ou laissez vide."))
    return _back_to(request, variant.product)


# --- photos --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoRow:
    """A photo as its page shows it: a thumbnail 160 pixels wide, and the form of its description."""

    photo: Photo
    thumbnail_url: str
    thumbnail_height: int | None
    alt_form: PhotoAltTextForm


def _photos_page(
    request: AuthenticatedRequest,
    *,
    merchant: Merchant,
    product: Product | None,
    form: PhotoUploadForm | None = None,
    images_form: MerchantImagesForm | None = None,
) -> HttpResponse:
    rows = []
    for photo in queries.photos_of(merchant=merchant, product=product):
        # Until the renditions task has run, the (re-encoded) original stands in for the thumbnail.
        thumbnail = photo.renditions.get("320") or {
            "name": photo.image.name,
            "width": photo.width,
            "height": photo.height,
        }
        rows.append(
            PhotoRow(
                photo=photo,
                thumbnail_url=photo.image.storage.url(thumbnail["name"]),
                thumbnail_height=round(160 * thumbnail["height"] / thumbnail["width"]) if thumbnail["width"] else None,
                alt_form=PhotoAltTextForm(initial={"alt_text": photo.alt_text}, prefix=f"photo-{photo.pk}"),
            )
        )
    context: dict[str, object] = {
        "merchant": merchant,
        "product": product,
        "rows": rows,
        "form": form or PhotoUploadForm(),
    }
    if product is None:
        context["images_form"] = images_form or MerchantImagesForm()
    return render(request, "catalog/backoffice/photos.html", context)


def _upload(request: AuthenticatedRequest, *, merchant: Merchant, product: Product | None) -> HttpResponse:
    form = PhotoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        try:
            actions.add_photo(
                upload=upload,
                size=upload.size,
                alt_text=form.cleaned_data["alt_text"],
                merchant=None if product else merchant,
                product=product,
            )
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, _("La photo est ajoutée."))
            return redirect(request.path)
    return _photos_page(request, merchant=merchant, product=product, form=form)


@backoffice_view
def merchant_photos(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    if request.method == "POST":
        return _upload(request, merchant=merchant, product=None)
    return _photos_page(request, merchant=merchant, product=None)


@require_POST
@backoffice_view
def merchant_images(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    form = MerchantImagesForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        clear = [name for name in ("logo", "cover") if data[f"clear_{name}"] and not data[name]]
        try:
            actions.set_merchant_images(merchant=merchant, logo=data["logo"], cover=data["cover"], clear=clear)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name, errors)
        else:
            messages.success(request, _("Le logo et la photo de couverture sont enregistrés."))
            return redirect("backoffice:merchant_photos", merchant_slug=merchant.slug)
    return _photos_page(request, merchant=merchant, product=None, images_form=form)


@backoffice_view
def product_photos(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    product = queries.get_product_for(request.user, product_id)
    if request.method == "POST":
        return _upload(request, merchant=product.merchant, product=product)
    return _photos_page(request, merchant=product.merchant, product=product)


def _photo_owner_page(photo: Photo) -> HttpResponse:
    # A photo is a merchant's or a product's, never both (photo_belongs_to_merchant_or_product).
    if photo.merchant is not None:
        return redirect("backoffice:merchant_photos", merchant_slug=photo.merchant.slug)
    return redirect("backoffice:product_photos", product_id=photo.product_id)


@backoffice_view
@require_POST
def photo_alt_text(request: AuthenticatedRequest, photo_id: int) -> HttpResponse:
    photo = queries.get_photo_for(request.user, photo_id)
    form = PhotoAltTextForm(request.POST, prefix=f"photo-{photo.pk}")
    if form.is_valid():
        actions.update_photo_alt_text(photo=photo, alt_text=form.cleaned_data["alt_text"])
        messages.success(request, _("La description de la photo est enregistrée."))
    else:
        messages.error(request, _("Description refusée : 250 caractères au plus."))
    return _photo_owner_page(photo)


@backoffice_view
@require_POST
def photo_move(request: AuthenticatedRequest, photo_id: int) -> HttpResponse:
    photo = queries.get_photo_for(request.user, photo_id)
    form = PhotoMoveForm(request.POST)
    if form.is_valid():
        actions.move_photo(photo=photo, direction=form.cleaned_data["direction"])
        messages.success(request, _("L'ordre des photos est enregistré."))
    return _photo_owner_page(photo)


@backoffice_view
@require_POST
def photo_delete(request: AuthenticatedRequest, photo_id: int) -> HttpResponse:
    photo = queries.get_photo_for(request.user, photo_id)
    response = _photo_owner_page(photo)
    actions.delete_photo(photo=photo)
    messages.success(request, _("La photo est supprimée."))
    return response


# --- the town's category tree (town staff only) ------------------------------------------------------
@backoffice_view
def category_list(request: AuthenticatedRequest) -> HttpResponse:
    tree = queries.category_tree_for(request.user)
    return render(request, "catalog/backoffice/category_list.html", {"tree": tree})


def _category_form_page(
    request: AuthenticatedRequest, *, form: CategoryForm, category: Category | None, saved_name: str = ""
) -> HttpResponse:
    context = {"form": form, "category": category, "category_name": saved_name}
    return render(request, "catalog/backoffice/category_form.html", context)


def _save_category_form(request: AuthenticatedRequest, form: CategoryForm) -> Category | None:
    """Save a valid form through the action; its refusals are shown on the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return actions.save_category(category=form.instance)
    except ValidationError as error:
        form.add_error(None, error)
        return None


@backoffice_view
def category_create(request: AuthenticatedRequest) -> HttpResponse:
    queries.require_catalogue_manager(request.user)
    initial = {"parent": request.GET.get("parent")} if request.GET.get("parent", "").isdigit() else {}
    form = CategoryForm(request.POST or None, instance=Category(), initial=initial)
    if category := _save_category_form(request, form):
        messages.success(request, _("La catégorie « %(name)s » est créée.") % {"name": category.name})
        return redirect("backoffice:category_list")
    return _category_form_page(request, form=form, category=None)


@backoffice_view
def category_edit(request: AuthenticatedRequest, category_id: int) -> HttpResponse:
    category = queries.get_category_for(request.user, category_id)
    saved_name = category.name  # the form writes typed values onto the instance, even refused ones
    form = CategoryForm(request.POST or None, instance=category)
    if _save_category_form(request, form):
        messages.success(request, _("La catégorie « %(name)s » est enregistrée.") % {"name": category.name})
        return redirect("backoffice:category_list")
    return _category_form_page(request, form=form, category=category, saved_name=saved_name)


@backoffice_view
@require_POST
def category_delete(request: AuthenticatedRequest, category_id: int) -> HttpResponse:
    category = queries.get_category_for(request.user, category_id)
    try:
        actions.delete_category(category=category)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("La catégorie « %(name)s » est supprimée.") % {"name": category.name})
    return redirect("backoffice:category_list")
