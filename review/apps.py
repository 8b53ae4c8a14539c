from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "PPIE lay review"

    def ready(self):
        from . import views  # noqa: F401 - registers the lay reviewers' emailed-link flow
