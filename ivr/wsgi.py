"""The WSGI entry point for production servers: `granian --interface wsgi ivr.wsgi:app`."""

from ivr import create_app

app = create_app()
