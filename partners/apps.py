from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner directory"

    def ready(self):
        from . import personal_data, views  # noqa: F401 - registers the partner contacts' emailed-link flow

        personal_data.register()
