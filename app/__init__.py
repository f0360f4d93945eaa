"""综合目标考核系统 (unit-level KPI assessment). The application factory lives here.

``create_app`` wires extensions, blueprints and CLI commands. It never runs migrations and
never starts the scheduler: ``flask --app wsgi kpi db-upgrade`` and
``flask --app wsgi kpi scheduler`` do that (``make run`` calls both).
"""

import importlib
import logging
import os
import pkgutil
import secrets

from flask import Flask, render_template


def ensure_secret_key(instance_path: str) -> str:
    """Read ``instance/secret_key``, creating it once (safe when several workers start at once)."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):
        with open(path) as fh:
            key = fh.read().strip()
        if key:
            return key
        import time

        time.sleep(0.02)
    raise RuntimeError(f"empty secret key file {path}")


def create_app(config=None) -> Flask:
    from config import Config

    config = config or Config
    app = Flask(__name__, instance_path=getattr(config, "INSTANCE_PATH", None))
    app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True) if not app.config.get("TESTING") else None
    app.json.ensure_ascii = False
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from app import models
    from app.extensions import csrf, db, login_manager

    models.load_all()
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import security

    app.before_request(security.enforce_route_rules)

    from app.headers import init_headers

    init_headers(app)

    from app.web import register_blueprints

    register_blueprints(app)

    from app.web.templating import init_templating

    init_templating(app)

    from app.cli import register_cli

    register_cli(app)

    @app.errorhandler(403)
    def forbidden(_e):
        return render_template("errors/error.html", code=403, message="您没有访问此页面的权限。"), 403

    @app.errorhandler(404)
    def not_found(_e):
        return render_template("errors/error.html", code=404, message="页面不存在。"), 404

    @app.errorhandler(413)
    def too_large(_e):
        mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template("errors/error.html", code=413, message=f"上传内容过大（上限 {mb} MB）。"), 413

    @app.errorhandler(400)
    def bad_request(e):
        from flask_wtf.csrf import CSRFError

        from app.web.common import BadInput

        if isinstance(e, CSRFError):
            msg = "页面已过期或表单校验失败（CSRF），请刷新页面后重试。"
        elif isinstance(e, BadInput):
            msg = e.description
        else:
            msg = "请求无效。"
        return render_template("errors/error.html", code=400, message=msg), 400

    from app.services.schemes import SchemeUnavailable

    @app.errorhandler(SchemeUnavailable)
    def scheme_unavailable(e):
        # a page that needs the cycle's scheme: say why it cannot be shown (no snapshot, or an invalid one)
        page = render_template("errors/error.html", code=409, heading="无法显示：考核方案不可用", message=e.message)
        return page, 409

    from app.web.heavy import Busy, busy_response

    @app.errorhandler(Busy)
    def busy(_e):  # no free slot for a heavy export (app/web/heavy.py)
        from flask import request

        return busy_response(as_json=request.path.startswith("/api/"))

    @app.errorhandler(500)
    def server_error(_e):
        return render_template("errors/error.html", code=500, message="服务器内部错误，已记录。请稍后重试。"), 500

    return app


def iter_submodules(package) -> list:
    """Import every module of ``package`` (used to auto-register blueprints, CLI commands, jobs)."""
    modules = []
    for info in pkgutil.iter_modules(package.__path__):
        modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return modules
