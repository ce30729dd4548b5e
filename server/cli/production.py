"""The production server: gunicorn with gevent workers, so an idle event stream costs a greenlet,
not a thread (≥ 1000 open streams per process). Each worker runs the boundary job and the feed
watcher beside the app."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class GongkaiServer(BaseApplication):
    """gunicorn, configured in code so `python -m server run` needs no config file."""

    def __init__(self, instance: str, host: str, port: int, workers: int = 1, public_url: str | None = None):
        self.instance, self.public_url = instance, public_url
        self.settings = {
            "bind": f"{host}:{port}", "workers": workers, "worker_class": "gevent",
            "worker_connections": 4000, "timeout": 60, "graceful_timeout": 10, "keepalive": 75,
            "accesslog": None, "errorlog": "-", "loglevel": "info", "post_worker_init": _start_threads,
        }
        super().__init__()

    def load_config(self):
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self):
        from server import create_app
        app = create_app(instance_path=self.instance)
        if self.public_url and not app.config["PUBLIC_BASE_URL_SET"]:
            app.config["PUBLIC_BASE_URL"] = self.public_url  # derived once by `run` (server/screens/public_address.py)
        return app


def _start_threads(worker) -> None:
    from server.background import start_services
    start_services(worker.wsgi)
