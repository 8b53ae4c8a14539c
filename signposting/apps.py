from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    name = "signposting"
    verbose_name = "Signposting and referrals"

    def ready(self):
        from intake.services import register_sharing_ended

        from . import permissions  # noqa: F401 - its grants end when a partner signs out
        from .digests import register_digests
        from .reminders import register_handlers
        from .services import referrals_close_for_inquiry

        register_handlers()
        from .directory import register_handlers as register_directory_handlers

        register_directory_handlers()
        register_digests()
        # Closing, erasing or withdrawing consent on an inquiry closes its open referrals (lifecycle.py).
        register_sharing_ended(referrals_close_for_inquiry)
        from .personal_data import register as register_personal_data

        register_personal_data()
