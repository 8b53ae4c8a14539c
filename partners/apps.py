from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner directory"

    def ready(self):
        from . import views  # noqa: F401 - registers the partner contacts' emailed-link flow
