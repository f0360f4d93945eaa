"""``flask --app wsgi kpi ...``: the product's command line.

Every module of this package that defines ``commands`` (a list of click commands) has them
added to the ``kpi`` group, so each topic keeps its commands in its own module.
"""

import importlib
import pkgutil

from flask.cli import AppGroup

kpi = AppGroup("kpi", help="综合目标考核系统的命令。")


def register_cli(app) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "commands", []):
            if command.name not in kpi.commands:
                kpi.add_command(command)
    if "kpi" not in app.cli.commands:
        app.cli.add_command(kpi)
