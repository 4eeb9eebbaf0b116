"""Residents' accounts: sign-up, e-mail confirmation, sign-in and out, profile.

A flow separate from the staff sign-in (/admin/): staff accounts are refused here, and
a resident's session never reaches a staff page (no membership). Sign-in is rate limited
in the ``login`` bucket and throttled by django-axes like every sign-in.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from territoire.core.http import client_ip
from territoire.core.ratelimit import rate_limited
from territoire.participation import forms, selectors
from territoire.participation.errors import ParticipationError
from territoire.participation.services import participants as participant_services
from territoire.participation.views.common import login_redirect, page, place


def _verification_link(request: HttpRequest, scope_code: str, token: str) -> str:
    return request.build_absolute_uri(reverse("participation-verify", args=[scope_code, token]))


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def signup(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    if where.resident is not None:
        return HttpResponseRedirect(reverse("participation-account", args=[scope_code]))
    form = forms.SignUpForm(request.POST or None, organisation=where.organisation)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                participant = participant_services.register_participant(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    ip_address=client_ip(request),
                    **form.profile(),
                )
            except ParticipationError as error:
                forms.apply_error(form, error)
                status = error.status
            else:
                token = participant_services.email_verification_token(participant)
                participant_services.send_verification_email(
                    participant, _verification_link(request, scope_code, token)
                )
                return HttpResponseRedirect(reverse("participation-signup-done", args=[scope_code]))
    return page(request, "account/signup.html", where, status=status, form=form)


def signup_done(request: HttpRequest, scope_code: str) -> HttpResponse:
    return page(request, "account/signup_done.html", place(request, scope_code))


def verify(request: HttpRequest, scope_code: str, token: str) -> HttpResponse:
    where = place(request, scope_code)
    try:
        participant_services.verify_email(token, ip_address=client_ip(request))
    except ParticipationError as error:
        return page(request, "account/verify.html", where, status=400, error=error.message)
    return page(request, "account/verify.html", where, error="")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
@rate_limited("login")
def sign_in(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    fallback = reverse("participation-account", args=[scope_code])
    form = forms.LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            # The form gives the normal form of the address: the spelling an account was made with.
            email = form.cleaned_data["email"]
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is None or user.is_staff or not hasattr(user, "participant"):
                # One message whatever failed: it does not reveal which addresses have accounts.
                form.add_error(
                    None,
                    _("Adresse ou mot de passe incorrect (les agents se connectent par l'espace agents)."),
                )
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(_safe_next(request, fallback))
    next_url = _safe_next(request, "")
    return page(request, "account/login.html", where, status=status, form=form, next=next_url)


@require_POST
def sign_out(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    logout(request)
    return HttpResponseRedirect(reverse("participation-index", args=[where.scope.code]))


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def account(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    resident = where.resident
    if resident is None:
        return login_redirect(request, where)
    initial = {
        "commune": resident.commune_id,
        "zone": resident.zone_id,
        "birth_year": resident.birth_year,
        "age_band": resident.age_band,
        "gender": resident.gender,
    }
    form = forms.ProfileForm(request.POST or None, organisation=where.organisation, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                participant_services.update_profile(resident, **form.profile())
            except ParticipationError as error:
                forms.apply_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Votre profil est enregistré."))
                return HttpResponseRedirect(reverse("participation-account", args=[scope_code]))
    activity = selectors.participant_activity(resident)
    census = participant_services.claimed_entry(resident)
    return page(
        request, "account/account.html", where, status=status, form=form, activity=activity, census=census
    )


@require_http_methods(["GET", "POST"])
@rate_limited("public_write")
def census(request: HttpRequest, scope_code: str) -> HttpResponse:
    where = place(request, scope_code)
    resident = where.resident
    if resident is None:
        return login_redirect(request, where)
    form = forms.CensusForm(request.POST or None, organisation=where.organisation)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                participant_services.verify_census(resident, **form.cleaned_data)
            except ParticipationError as error:
                forms.apply_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Votre inscription sur la liste de la commune est vérifiée."))
                return HttpResponseRedirect(reverse("participation-account", args=[scope_code]))
    return page(request, "account/census.html", where, status=status, form=form)
