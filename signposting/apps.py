from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    name = "signposting"
    verbose_name = "Signposting and referrals"
