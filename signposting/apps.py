from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    name = "signposting"
    verbose_name = "Signposting and referrals"

    def ready(self):
        from . import permissions  # noqa: F401 - its grants end when a partner signs out
        from .digests import register_digests
        from .reminders import register_handlers

        register_handlers()
        register_digests()
