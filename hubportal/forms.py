from django import forms
from django.conf import settings


def email_domain_allowed(email):
    """Whether the address may sign in as a submitter: the deployment's default domains, any hub's own,
    or a person a hub accepted (issue 10: hubportal.submitters)."""
    from .submitters import submitter_may_sign_in

    return submitter_may_sign_in(email)


class SignInForm(forms.Form):
    page_heading_field = "email"

    email = forms.EmailField(
        label="What is your work email address?",
        help_text="We will email you a link to sign in. Use your NHS email address.",
        max_length=254,
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false",
                                       "class": "nhsuk-input--width-30"}),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if not email_domain_allowed(email):
            allowed = ", ".join(settings.SUBMITTER_EMAIL_DOMAINS)
            raise forms.ValidationError(
                f"Enter an NHS email address. This service accepts addresses ending in {allowed}"
            )
        return email


class StaffPasswordForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254,
        error_messages={"required": "Enter your email address",
                        "invalid": "Enter an email address in the correct format, like name@nhs.net"},
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false",
                                       "class": "nhsuk-input--width-30"}),
    )
    password = forms.CharField(
        label="Password", strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "nhsuk-input--width-20"}),
    )

    def __init__(self, *args, request=None, ip=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.ip = ip
        self.user = None

    def clean(self):
        from django.contrib.auth import authenticate
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from .auth import auth_event
        from .permissions import is_staff_account
        from .services import StaffSignInLocked, staff_sign_in_check, staff_sign_in_failed

        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            email = email.strip().lower()
            try:
                staff_sign_in_check(email=email, ip=self.ip)
            except StaffSignInLocked:
                raise forms.ValidationError(
                    f"Too many wrong passwords. Wait {settings.STAFF_SIGN_IN_WINDOW_MINUTES} minutes, then try again"
                ) from None
            user = authenticate(self.request, username=email, password=password)
            # Same message whether the address is unknown or the password wrong.
            if user is None or not is_staff_account(user):
                staff_sign_in_failed(email=email, ip=self.ip)
                auth_event("password", actor="staff", outcome="failure", email=email, ip=self.ip)
                raise forms.ValidationError("Enter a correct email address and password")
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                # A password never sets up the second factor: that needs an emailed invitation, so a
                # leaked password of an account that never finished setting up is no way in.
                auth_event("password", actor="staff", outcome="refused_no_device", user=user, ip=self.ip)
                raise forms.ValidationError(
                    "Your staff sign-in is not set up. Use the link in your invitation email, "
                    "or ask an administrator to send you a new invitation")
            auth_event("password", actor="staff", outcome="success", user=user, ip=self.ip)
            self.user = user
        return cleaned


class OneTimeCodeForm(forms.Form):
    page_heading_field = "code"

    code = forms.CharField(
        label="Enter the 6-digit code from your authenticator app",
        help_text="The code changes every 30 seconds.",
        max_length=6,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false", "class": "nhsuk-input--width-10"}),
    )

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the code as 6 digits, like 123456")
        allowed, _ = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("Too many wrong codes. Wait a minute, then try the newest code")
        if not self.device.verify_token(code):
            # Logged by the view (it knows the person and the address); never the code itself.
            raise forms.ValidationError("The code is not right. Enter the newest code from your app")
        return code


class EmbedOriginsForm(forms.Form):
    """The intranet pages that may frame a hub's widget: whole origins (scheme, host, port), one a line."""

    MAX_ORIGINS = 20

    origins = forms.CharField(
        label="Web addresses of the intranet sites that may show the widget",
        help_text="One a line, each starting https://, for example https://intranet.dchft.nhs.uk. "
                  "Leave empty to let no site show it.",
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))

    def clean_origins(self):
        from urllib.parse import urlsplit

        lines = [line.strip().rstrip("/") for line in self.cleaned_data["origins"].splitlines() if line.strip()]
        if len(lines) > self.MAX_ORIGINS:
            raise forms.ValidationError(f"Enter {self.MAX_ORIGINS} web addresses or fewer")
        origins = []
        for line in lines:
            parts = urlsplit(line)
            loopback = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
            if (parts.scheme != "https" and not loopback) or not parts.hostname or parts.path or parts.query \
                    or parts.fragment or parts.username or parts.password or any(c in line for c in " ;,'\"*"):
                raise forms.ValidationError(
                    f"Enter '{line[:80]}' as a web address starting https:// with no path, "
                    "like https://intranet.dchft.nhs.uk")
            origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            if origin not in origins:
                origins.append(origin)
        return origins
