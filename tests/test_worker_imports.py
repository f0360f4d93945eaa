"""A worker loads the libraries of rarely used features only when it uses them (issue #17: each
gunicorn worker imports the application itself, so every module imported at start-up is held
once per worker): the directory (ldap3), CAS (python-cas, requests), the Word report
(python-docx) and WeasyPrint (its PDFs are made in a child process)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAZY = ("ldap3", "cas", "requests", "docx", "weasyprint")


def test_the_application_starts_without_the_libraries_of_rare_features(tmp_path):
    env = {**os.environ, "KPI_INSTANCE_PATH": str(tmp_path), "KPI_DATABASE_URL": f"sqlite:///{tmp_path}/kpi.db"}
    code = ("import sys, wsgi; "
            f"print(' '.join(m for m in {LAZY!r} if m in sys.modules) or 'none')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "none"
