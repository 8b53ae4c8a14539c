"""Staff sign-in: a password, then a TOTP code. A password alone never gives a staff session.

The person is signed in (login + otp_login) only after the second factor. Between the two steps the
session holds only who passed the password check and when, for ten minutes.
"""

import base64
import time

import segno
from django.conf import settings
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import OneTimeCodeForm, StaffPasswordForm
from .models import User
from .views import AUTH_BACKEND, client_ip, safe_next_path

PENDING_SECONDS = 10 * 60


def _pending_user(request):
    pending = request.session.get("staff_pending")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def _finish(request, user, device):
    next_path = request.session.get("staff_pending", {}).get("next", "")
    request.session.pop("staff_pending", None)
    login(request, user, backend=AUTH_BACKEND)
    otp_login(request, device)
    if next_path:
        return redirect(next_path)
    if not user.hub_memberships.exists() and user.is_staff:
        return redirect("admin:index")
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
        request.session["staff_pending"] = {"user": form.user.pk, "at": time.time(), "next": next_path}
        has_device = TOTPDevice.objects.filter(user=form.user, confirmed=True).exists()
        return redirect("hubportal:staff_code" if has_device else "hubportal:staff_set_up")
    return render(request, "hubportal/staff_sign_in.html", {"form": form, "next": next_path})


# Access: whoever passed the password step in this session in the last ten minutes.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_code(request):
    user = _pending_user(request)
    if user is None:
        return redirect("hubportal:staff_sign_in")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("hubportal:staff_set_up")
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        return _finish(request, user, device)
    return render(request, "hubportal/staff_code.html", {"form": form}, status=400 if form.errors else 200)


# Access: whoever passed the password step and has no authenticator set up yet.
@never_cache
@require_http_methods(["GET", "POST"])
def staff_set_up(request):
    user = _pending_user(request)
    if user is None:
        return redirect("hubportal:staff_sign_in")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("hubportal:staff_code")
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Authenticator app"})
    form = OneTimeCodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _finish(request, user, device)
    qr = segno.make(device.config_url, error="m")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "hubportal/staff_set_up.html", {
        "form": form, "qr_svg": qr.svg_inline(scale=4, title="QR code for your authenticator app"),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    }, status=400 if form.errors else 200)

