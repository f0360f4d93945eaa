"""One blueprint package per audience (``app/web/<audience>/``: ``__init__.py`` with ``bp``,
``routes.py``, ``forms.py``). Every package that defines ``bp`` is registered here."""

import importlib
import pkgutil


def register_blueprints(app) -> None:
    from app.web.common import register_converters

    register_converters(app)  # before any rule is added: ids in every route are bounded
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        bp = getattr(module, "bp", None)
        if bp is not None:
            app.register_blueprint(bp)
