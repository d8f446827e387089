from django.apps import AppConfig


class QaLoadConfig(AppConfig):
    name = "qa_load.django"
    # "django" would clash with nothing today, but a label of its own is clearer in errors.
    label = "qa_load"
    verbose_name = "qa-load"
