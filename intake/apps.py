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
        # Issue 10: someone leaving a hub's team hands over their open inquiries first.
        from hubportal.hub_settings import register_team_leaving

        from .services import inquiries_hand_over, inquiries_held

        register_team_leaving(describe=inquiries_held, hand_over=inquiries_hand_over)
