"""A person's account page (digest preference) and the one-click unsubscribe from digests."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .digests import DEFAULT_FREQUENCY, unsubscribe, unsubscribe_target
from .models import User
from .services import user_set_digest_frequency


class DigestForm(forms.Form):
    page_heading_field = "digest_frequency"
    digest_frequency = forms.ChoiceField(
        label="How often would you like a digest email?", widget=forms.RadioSelect,
        error_messages={"required": "Select how often you would like a digest email",
                        "invalid_choice": "Select one of the options"},
    )

    def __init__(self, *args, is_staff_member, **kwargs):
        super().__init__(*args, **kwargs)
        choices = User.Digest.choices if is_staff_member else [
            (User.Digest.WEEKLY, "Weekly: what changed on my inquiries"), (User.Digest.NONE, "No digest")]
        self.fields["digest_frequency"].choices = choices
        self.fields["digest_frequency"].help_text = (
            "Hub staff: new inquiries, triage due soon and overdue, waiting on partners, outcomes."
            if is_staff_member else "Only when something changed. Emails carry links, not the content.")


# Access: any signed-in person, for their own account only.
@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    is_staff_member = user.hub_memberships.exists()
    audience = "staff" if is_staff_member else "submitter"
    current = user.digest_frequency or DEFAULT_FREQUENCY[audience]
    form = DigestForm(request.POST or None, initial={"digest_frequency": current}, is_staff_member=is_staff_member)
    if request.method == "POST" and form.is_valid():
        user_set_digest_frequency(user=user, frequency=form.cleaned_data["digest_frequency"])
        messages.success(request, "Your digest preference has been saved")
        return redirect("hubportal:account")
    return render(request, "hubportal/account.html", {"form": form}, status=400 if form.is_bound else 200)


# Access: whoever holds the signed link from a digest (it names one person and can only unsubscribe).
# GET shows a button (mail scanners follow links); POST unsubscribes, including mail clients' RFC 8058
# one-click POST, which carries no CSRF token: the signature is the proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token):
    target = unsubscribe_target(token)
    if target is None:
        return render(request, "hubportal/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        email = unsubscribe(*target)
        if email is None:
            return render(request, "hubportal/unsubscribe.html", {"invalid": True}, status=404)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed", content_type="text/plain")
        return render(request, "hubportal/unsubscribe.html", {"done": True, "email": email})
    return render(request, "hubportal/unsubscribe.html", {})
