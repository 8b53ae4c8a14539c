"""Staff sign-in: a password, then a TOTP code. A password alone never gives a staff session.

The person is signed in (login + otp_login) only after the second factor. Between the two steps the
session holds only who passed the password check and when, for ten minutes.

An account without a confirmed authenticator cannot be entered with its password: its first sign-in
(and the next one after an administrator resets the authenticator) starts from an emailed, single-use
invitation bound to the person (hubportal.links, purpose staff_invitation), which leads to choosing
a password and then setting up the authenticator. Only then is the account usable.
"""

import base64
import time

import segno
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import emails, links
from .auth import auth_event, client_ip
from .forms import OneTimeCodeForm, StaffPasswordForm
from .links import safe_next_path
from .models import EmailLink, User
from .permissions import is_network_lead
from .services import staff_invitation_accept
from .views import AUTH_BACKEND

PENDING_SECONDS = 10 * 60
# Between the steps: {"user": pk, "at": epoch seconds, "next": path, "invited": bool, "password_set": bool}.
PENDING = "staff_pending"


def _pending(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None, None
    return pending, User.objects.filter(pk=pending["user"], is_active=True).first()


def _pending_user(request):
    return _pending(request)[1]


def _finish(request, user, device):
    next_path = request.session.get(PENDING, {}).get("next", "")
    request.session.pop(PENDING, None)
    login(request, user, backend=AUTH_BACKEND)
    otp_login(request, device)
    auth_event("sign_in", actor="staff", outcome="success", request=request, user=user)
    if next_path:
        return redirect(next_path)
    if not user.hub_memberships.exists() and user.is_staff:
        return redirect("admin:index")
    if not user.hub_memberships.exists() and is_network_lead(user):
        return redirect("adoption:network_report")
    return redirect("intake:staff_home")


# Access: anyone (the first factor). Signs nobody in by itself.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_sign_in(request):
    form = StaffPasswordForm(request.POST or None, request=request, ip=client_ip(request))
    next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated:
            logout(request)  # a submitter's session never carries over into a staff one
        # The form refused accounts without a confirmed authenticator: they come in by invitation only.
        request.session[PENDING] = {"user": form.user.pk, "at": time.time(), "next": next_path}
        return redirect("hubportal:staff_code")
    return render(request, "hubportal/staff_sign_in.html", {"form": form, "next": next_path})


# Access: whoever passed the password step in this session in the last ten minutes.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_code(request):
    user = _pending_user(request)
    if user is None:
        return redirect("hubportal:staff_sign_in")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:  # reset by an administrator between the steps
        return redirect("hubportal:staff_sign_in")
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST":
        if form.is_valid():
            return _finish(request, user, device)
        auth_event("totp", actor="staff", outcome="failure", request=request, user=user)
    return render(request, "hubportal/staff_code.html", {"form": form}, status=400 if form.errors else 200)


# --- The invitation: link -> password -> authenticator ------------------------------------------

def _invitation_start(request, link, user):
    if request.user.is_authenticated:
        logout(request)  # whoever was signed in in this browser, the invitation starts afresh
    request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": "", "invited": True}
    return redirect("hubportal:staff_set_password")


STAFF_INVITATION_FLOW = links.register(links.LinkFlow(
    purpose=EmailLink.Purpose.STAFF_INVITATION, actor="staff", templates="hubportal/staff_invitation",
    accept=staff_invitation_accept, start=_invitation_start, send=emails.staff_invitation,
    minutes=lambda: settings.STAFF_INVITATION_HOURS * 60,
))

# Access: whoever holds the invitation emailed to one staff member. GET shows a button; POST uses it.
staff_invitation = links.confirm_view(STAFF_INVITATION_FLOW)


class StaffSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password1"].error_messages["required"] = "Enter a password"
        self.fields["new_password2"].label = "Enter the password again"
        self.fields["new_password2"].error_messages["required"] = "Enter the password again"


# Access: whoever used a staff invitation in this session in the last ten minutes.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_set_password(request):
    pending, user = _pending(request)
    if user is None or not pending.get("invited"):
        return redirect("hubportal:staff_sign_in")
    form = StaffSetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.session[PENDING] = {**pending, "password_set": True, "at": time.time()}
        auth_event("password_set", actor="staff", outcome="success", request=request, user=user)
        return redirect("hubportal:staff_set_up")
    return render(request, "hubportal/staff_set_password.html", {"form": form}, status=400 if form.errors else 200)


# Access: whoever used a staff invitation and chose a password in this session; never the password alone.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_set_up(request):
    pending, user = _pending(request)
    if user is None or not (pending.get("invited") and pending.get("password_set")):
        return redirect("hubportal:staff_sign_in")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("hubportal:staff_code")
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Authenticator app"})
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST":
        if form.is_valid():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            auth_event("device_confirmed", actor="staff", outcome="success", request=request, user=user)
            return _finish(request, user, device)
        auth_event("totp", actor="staff", outcome="failure", request=request, user=user, step="set_up")
    qr = segno.make(device.config_url, error="m")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "hubportal/staff_set_up.html", {
        "form": form, # segno draws the SVG from modules and our own literal title: no typed text reaches it.
        "qr_svg": mark_safe(qr.svg_inline(scale=4, title="QR code for your authenticator app")),  # noqa: S308
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    }, status=400 if form.errors else 200)
