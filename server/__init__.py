"""Gongkai content server: create_app() builds the Flask app; blueprints live one per area."""
from __future__ import annotations

import os
import secrets

from flask import Config, Flask

from server import config, db


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """The app for one instance folder; `test_config` overrides every other setting."""
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None,
                instance_relative_config=True)
    framework = set(app.config)
    app.config.from_mapping(config.defaults())
    if test_config is None:
        from_file = Config(app.instance_path)
        from_file.from_pyfile("config.py", silent=True)
        config.check_names(from_file, framework_names=framework)
        app.config.update(from_file)
        app.config.from_prefixed_env("GONGKAI")
    else:
        app.config.from_mapping(test_config)
    config.check_values(app.config)
    if not app.config.get("DATABASE_URL") and os.environ.get("DATABASE_URL") and test_config is None:
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config["DATABASE_URL"] = db.database_url(app.instance_path, app.config.get("DATABASE_URL"))
    app.config["MEDIA_DIR"] = app.config.get("MEDIA_DIR") or os.path.join(app.instance_path, "media")
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app.instance_path)
    from server.screens.public_address import DEFAULT
    app.config["PUBLIC_BASE_URL_SET"] = bool(app.config.get("PUBLIC_BASE_URL"))  # else run/demo derive it
    app.config["PUBLIC_BASE_URL"] = app.config.get("PUBLIC_BASE_URL") or DEFAULT
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"   # Flask holds the key already: setdefault would do nothing
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:   # only then is X-Forwarded-* believed
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.config.setdefault("MAX_CONTENT_LENGTH", app.config["MAX_UPLOAD_BYTES"] + 64 * 1024)
    from server import schema  # noqa: F401  (every table mapped before the first query)
    db.init_app(app)
    from server.screens import push
    app.extensions["gongkai.bus"] = push.Bus()
    push.install(app.extensions["gongkai.sessions"], app.extensions["gongkai.bus"])

    from server.guard import bounds
    app.url_map.converters["int"] = bounds.IdConverter   # before any route is added
    bounds.init_app(app)
    from server.guard import headers as security
    security.init_app(app)
    from server import admin, api, devices, errors, i18n, public, web

    from server.devices import media
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(devices.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(media.bp)
    errors.init_app(app)
    web.init_app(app)
    i18n.init_app(app)

    @app.get("/")
    def index():
        """The root leads staff to the admin UI."""
        from flask import redirect, url_for
        return redirect(url_for("admin.queue"))

    return app


def _secret_key(instance_path: str) -> str:
    """Read the instance's secret key, creating it (0600) the first time."""
    path = os.path.join(instance_path, "secret_key")
    if os.path.exists(path):
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    os.makedirs(instance_path, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
