from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Inquiries"

    def ready(self):
        from .digests import register_digests
        from .reminders import register_handlers

        register_handlers()
        register_digests()
