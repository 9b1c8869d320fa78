"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
import gc

from gridapp import create_app

app = create_app()
# The app's long-lived objects (models, routes, compiled statements) leave the garbage collector's
# generations: shorter collections on every request, and under ``gunicorn --preload`` the workers
# keep sharing those pages with the master instead of copying them (Python docs, gc.freeze).
gc.freeze()
