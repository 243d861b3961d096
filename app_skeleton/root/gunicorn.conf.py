"""gunicorn settings of {{ project }}: `MVCPY_ENV=prod MVCPY_SECRET_KEY=... gunicorn -c gunicorn.conf.py`."""

import os

wsgi_app = "{{ project }}.app:app"
worker_class = "uvicorn_worker.UvicornWorker"
# One worker per core is a good start; platforms set WEB_CONCURRENCY for you.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
bind = os.environ.get("BIND", "127.0.0.1:8000")
# On SIGTERM, workers finish the requests in flight for up to this many seconds.
graceful_timeout = 30
timeout = 60
keepalive = 5
accesslog = "-"
