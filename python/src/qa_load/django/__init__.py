"""The Django app of qa-load: ``INSTALLED_APPS += ["qa_load.django"]`` adds
``python manage.py qa_load [ARGS...]`` (management/commands/qa_load.py)."""
