from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    name = "signposting"
    verbose_name = "Signposting and referrals"

    def ready(self):
        from .digests import register_digests
        from .reminders import register_handlers

        register_handlers()
        register_digests()
