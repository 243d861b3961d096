"""gunicorn settings of {{ project }}: `mvcpy serve`, or `MVCPY_ENV=prod MVCPY_SECRET_KEY=... gunicorn`.

gunicorn reads ./gunicorn.conf.py by default, so `gunicorn` in this directory (or
`gunicorn {{ project }}.app:app`) uses these settings; command-line flags override them.
"""

import os

wsgi_app = "{{ project }}.app:app"
# uvicorn's gunicorn worker, given the app's [websocket] ping and size settings.
worker_class = "mvcpy.workers.UvicornWorker"
# One worker per core is a good start; platforms set WEB_CONCURRENCY for you.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
bind = os.environ.get("BIND", "127.0.0.1:8000")
# On SIGTERM, workers finish the requests in flight for up to this many seconds.
graceful_timeout = 30
timeout = 60
# Seconds a kept-alive connection may stay idle between requests. Slow clients are cut
# off by [server] header_timeout and body_timeout in conf/app.toml (mvcpy's worker).
keepalive = 5
# No gunicorn access log: the app's access_log filter ([prod.filters] in conf/app.toml)
# writes one line per request, as JSON in prod, with the request id.
accesslog = None
# gunicorn's and uvicorn's own lines (booting, signals, worker timeouts) in the app's
# [logging] format: JSON lines in prod, like the app's log.
logger_class = "mvcpy.gunicorn_logger.GunicornLogger"


# Prometheus metrics ([metrics] enabled = true): with PROMETHEUS_MULTIPROC_DIR naming a
# directory, each worker writes its values there and a scrape of any worker adds up all
# of them. The directory is emptied when gunicorn starts.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
