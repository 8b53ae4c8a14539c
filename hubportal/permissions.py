"""Who may use staff pages. Every staff view goes through `staff_view` and gets its hub from here.

Rules: a staff page needs a signed-in person who passed the second factor (TOTP) and belongs to the
hub in the URL. Anonymous or unverified visitors go to the staff sign-in page; a signed-in person who
is not a member of that hub gets 404, the same as a hub that does not exist.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.shortcuts import resolve_url

from . import sqlcache
from .models import Hub, HubMembership, NetworkLead, User


class NetworkRequest(HttpRequest):
    """The request a `network_lead_view` hands its view: the person's network, with its hubs."""

    user: User
    network_lead: NetworkLead


class StaffRequest(HttpRequest):
    """The request a `staff_view` hands its view: the member's membership of the hub in the URL."""

    user: User
    membership: HubMembership
    hub: Hub


def is_staff_account(user) -> bool:
    """Someone whose pages need the second factor: a hub member or an administrator. Such an account
    signs in only at staff sign-in, never with an emailed link alone."""
    return bool(user.is_staff or user.hub_memberships.exists() or is_network_lead(user))


def is_network_lead(user) -> bool:
    return NetworkLead.objects.filter(user=user).exists()


def is_verified_staff(user):
    return user.is_authenticated and user.is_verified() and user.hub_memberships.exists()


def staff_hubs(user):
    return Hub.objects.filter(memberships__user=user, is_active=True).order_by("name")


def membership_for(user, hub_slug):
    """The person's membership of the hub with this slug, or 404."""
    # Every staff page asks this: its SQL is compiled once per person and hub (hubportal.sqlcache).
    [membership, *_] = sqlcache.kept_rows(
        ("membership_for", HubMembership.objects.db, user.pk, hub_slug),
        lambda: HubMembership.objects.select_related("hub").filter(user=user, hub__slug=hub_slug, hub__is_active=True)
        .order_by("pk")[:1]) or [None]
    if membership is None:
        raise Http404("No such hub")
    return membership


def staff_required(view):
    """A staff page not tied to one hub: signed in with the second factor, a member of some hub."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_verified()):
            return redirect_to_login(request.get_full_path(), resolve_url(settings.STAFF_LOGIN_URL))
        if not user.hub_memberships.exists():
            raise Http404("Not a member of any hub")
        return view(request, *args, **kwargs)

    return wrapper


def staff_view(view):
    """A page of one hub: the view is called as view(request, membership, ...) for the hub in the URL."""

    @wraps(view)
    def wrapper(request, hub_slug, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_verified()):
            return redirect_to_login(request.get_full_path(), resolve_url(settings.STAFF_LOGIN_URL))
        membership = membership_for(user, hub_slug)
        request.membership = membership
        request.hub = membership.hub
        return view(request, membership, *args, **kwargs)

    return wrapper


def hub_lead_view(view):
    """A page of one hub that only its hub leads may use: others of the hub get 404, as on a hub
    that is not theirs (the page they can see links nowhere near it)."""

    @staff_view
    @wraps(view)
    def wrapper(request, membership, *args, **kwargs):
        if membership.role != HubMembership.Role.LEAD:
            raise Http404("Only the hub's leads may do this")
        return view(request, membership, *args, **kwargs)

    return wrapper


def network_lead_view(view):
    """A page of a network lead (issue 11): signed in with the second factor, and a network lead, else
    404 (a hub lead is not one). The view is called as view(request, network_lead, ...). Network leads
    belong to no hub, so every hub and inquiry page refuses them through `staff_view` with 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_verified()):
            return redirect_to_login(request.get_full_path(), resolve_url(settings.STAFF_LOGIN_URL))
        network_lead = NetworkLead.objects.filter(user=user).prefetch_related("hubs").first()
        if network_lead is None:
            raise Http404("Not a network lead")
        request.network_lead = network_lead
        return view(request, network_lead, *args, **kwargs)

    return wrapper
