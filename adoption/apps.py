from django.apps import AppConfig


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = "Adoption: stages, benefits and surveys"

    def ready(self):
        from intake.services import register_sharing_ended, register_support_started

        from . import views  # noqa: F401 - registers the sponsor's benefit-actuals emailed-link flow
        from .reminders import register_handlers
        from .services import case_end_for_inquiry, case_start_for_inquiry

        register_handlers()
        # An inquiry taken into support enters its hub's first stage; closing it ends the case (survey).
        register_support_started(case_start_for_inquiry)
        register_sharing_ended(case_end_for_inquiry)
