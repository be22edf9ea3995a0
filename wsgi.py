"""What a WSGI server loads: `gunicorn wsgi:app` or `waitress-serve wsgi:app`."""

from lsweb import create_app

app = create_app()
