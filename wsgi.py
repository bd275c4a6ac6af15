"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from registry import cli
from registry.app import create_app

app = create_app()
cli.init_app(app)
