"""The invitation link, and the town's people pages at /gestion/personnes/ (admins and agents)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import actions, queries
from accounts.forms import AcceptInvitationForm, InviteForm, RoleForm
from accounts.models import INVITABLE_ROLES, Role
from accounts.requests import AuthenticatedRequest, signed_in_view

AUDIT_PAGE_SIZE = 50
PEOPLE_PAGE_SIZE = 50

people_view = signed_in_view(queries.require_people_manager)


@never_cache
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Name and password, then logged in; a used, expired, cancelled or foreign link says so plainly."""
    invitation = actions.find_invitation(token)
    problem = actions.invitation_problem(invitation)
    if invitation is None or problem:
        return render(
            request, "accounts/invitation_invalid.html", {"problem": problem}, status=410 if invitation else 404
        )
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.accept_invitation(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["new_password1"],
                email=form.cleaned_data.get("email", ""),
            )
        except actions.PeopleError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Bienvenue ! Votre compte est prêt."))
            return redirect("/")
    context = {"form": form, "invitation": invitation, "role": Role(invitation.role).label}
    return render(request, "accounts/accept_invitation.html", context)


def _role_filter(request: HttpRequest) -> str:
    role = request.GET.get("role", "")
    return role if role in {choice.value for choice in INVITABLE_ROLES} else ""


@people_view
def people(request: AuthenticatedRequest) -> HttpResponse:
    role = _role_filter(request)
    page = Paginator(queries.people_for(request.user, role=role), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queries.person_rows(page.object_list),
        "invitations": list(queries.open_invitations_for(request.user, role=role)),
        "role_filters": queries.role_filters_for(request.user),
        "role": role,
        "can_invite": bool(actions.invitable_roles(request.user)),
        "manageable_roles": actions.manageable_roles(request.user),
        "people_tab": "list",
    }
    return render(request, "accounts/people/list.html", context)


@people_view
def invite(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, roles=actions.invitable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = actions.invite_person(
                actor=request.user,
                role=form.cleaned_data["role"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            )
        except actions.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invitation envoyée à %(contact)s.") % {"contact": invitation.contact})
            return redirect("accounts:people")
    return render(request, "accounts/people/invite.html", {"form": form, "people_tab": "invite"})


@people_view
def person(request: AuthenticatedRequest, person_id: int) -> HttpResponse:
    row = queries.get_person_for(request.user, person_id)
    roles = [role for role in actions.CHANGEABLE_ROLES if actions.may_invite(request.user, role)]
    if row.person.pk == request.user.pk:  # one's own role may only go down
        roles = [role for role in roles if actions.role_rank(role) <= actions.role_rank(request.user.role)]
    role_form = None
    if row.person.role in roles and len(roles) > 1:
        role_form = RoleForm(initial={"role": row.person.role}, roles=roles)
    return render(request, "accounts/people/detail.html", {"row": row, "role_form": role_form})


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _done(request: HttpRequest, action: Callable[[], object], success: str) -> None:
    try:
        action()
    except actions.PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)


@require_POST
@people_view
def person_active(request: AuthenticatedRequest, person_id: int) -> HttpResponse:
    target = queries.get_person_for(request.user, person_id).person
    if request.POST.get("active") == "1":
        _done(
            request,
            lambda: actions.reactivate_person(actor=request.user, person=target),
            _("Le compte de %(email)s est réactivé.") % {"email": target.email},
        )
    else:
        _done(
            request,
            lambda: actions.deactivate_person(actor=request.user, person=target),
            _("Le compte de %(email)s est désactivé : ses connexions en cours sont fermées.") % {"email": target.email},
        )
    return redirect("accounts:person", person_id=target.pk)


@require_POST
@people_view
def person_role(request: AuthenticatedRequest, person_id: int) -> HttpResponse:
    target = queries.get_person_for(request.user, person_id).person
    role = request.POST.get("role", "")
    if role not in {choice.value for choice in Role}:
        messages.error(request, _("Choisissez un rôle."))
    else:
        _done(
            request,
            lambda: actions.change_role(actor=request.user, person=target, role=role),
            _("Le rôle de %(email)s est « %(role)s ».") % {"email": target.email, "role": Role(role).label},
        )
    return redirect("accounts:person", person_id=target.pk)


@require_POST
@people_view
def invitation_resend(request: AuthenticatedRequest, invitation_id: int) -> HttpResponse:
    invitation = queries.get_invitation_for(request.user, invitation_id)
    _done(
        request,
        lambda: actions.resend_invitation(actor=request.user, invitation=invitation),
        _("Nouvelle invitation envoyée à %(contact)s ; l'ancien lien ne marche plus.")
        % {"contact": invitation.contact},
    )
    return _back(request, "accounts:people")


@require_POST
@people_view
def invitation_cancel(request: AuthenticatedRequest, invitation_id: int) -> HttpResponse:
    invitation = queries.get_invitation_for(request.user, invitation_id)
    _done(
        request,
        lambda: actions.cancel_invitation(actor=request.user, invitation=invitation),
        _("L'invitation de %(contact)s est annulée.") % {"contact": invitation.contact},
    )
    return _back(request, "accounts:people")


@signed_in_view(queries.require_people_journal_reader)
def journal(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(queries.audit_entries_for(request.user), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/people/journal.html", {"page": page, "people_tab": "journal"})
