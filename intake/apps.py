from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Inquiries"

    def ready(self):
        from .digests import register_digests
        from .reminders import register_handlers

        register_handlers()
        register_digests()
        # Issue 12: the retention rules for inquiries, and what intake holds about a person.
        from . import personal_data, retention

        retention.register_rules()
        personal_data.register()
