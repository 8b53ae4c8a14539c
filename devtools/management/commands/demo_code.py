"""Print the current TOTP code of a demo staff member, so `make run` demos need no authenticator app.

Refuses unless DEBUG is on: in a real deployment codes come only from the person's own app.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current 6-digit sign-in code of a staff member (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code works only with DEBUG=1.")
        device = TOTPDevice.objects.filter(user__email__iexact=email).order_by("-confirmed").first()
        if device is None:
            raise CommandError(f"{email} has no authenticator set up. Sign in once with the password first.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
