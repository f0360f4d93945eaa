"""The year-end report page as a PDF, rendered by WeasyPrint (print media, A4).

WeasyPrint lays out the same HTML the browser prints (``templates/targets/report.html`` with
``app.css`` / ``targets.css``), with Debian's pango and the CJK font scripts/system_deps.sh
installs. Chosen over converting the Word file with LibreOffice: it runs offline inside the
request, needs no office suite on the server, and gives exactly the printable page.

Only the application's own static files are loaded (read from disk); any other address in the
page is refused, so rendering never reaches the network. WeasyPrint runs in a child process
(``report_pdf``), so the server's workers never hold its memory.
"""

from __future__ import annotations

import mimetypes
import os
import subprocess
import sys
from urllib.parse import urlparse

__all__ = ["report_pdf"]

RENDER_TIMEOUT = 300  # seconds

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")

# The page's own print rules plus what a PDF needs: the page size and no screen-only parts.
PDF_CSS = """
@page { size: A4; margin: 20mm 18mm; @bottom-center { content: counter(page); font-size: 9pt; } }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; background: #fff; }
.no-print, .topbar, .footer, .flash { display: none !important; }
.card { border: 0; box-shadow: none; padding: 0; }
"""


def _fetcher():
    """A WeasyPrint URL fetcher that serves the app's static files from disk and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = urlparse(url).path
            root = os.path.realpath(STATIC)
            full = os.path.realpath(os.path.join(root, path[len("/static/"):])) if path.startswith("/static/") else ""
            if not full.startswith(root + os.sep) or not os.path.isfile(full):
                raise URLFetchingError(f"not loaded while rendering the report: {url}")
            with open(full, "rb") as fh:
                data = fh.read()
            kind = mimetypes.guess_type(full)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=data, headers={"Content-Type": kind})

    return StaticOnly()


def report_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of ``html``, rendered in a child process (this file run by the same Python):
    WeasyPrint's memory for a long report (fonts, the layout of 200 indicators: ~100 MB) goes
    away with the child instead of staying with the server's worker."""
    proc = subprocess.run([sys.executable, "-I", os.path.abspath(__file__), base_url], input=html.encode("utf-8"),
                          capture_output=True, timeout=RENDER_TIMEOUT, check=False)
    if proc.returncode != 0 or not proc.stdout.startswith(b"%PDF"):
        raise RuntimeError("PDF rendering failed: " + proc.stderr.decode("utf-8", "replace")[-2000:])
    return proc.stdout


def _render(html: str, base_url: str) -> bytes:
    from weasyprint import CSS, HTML  # imported here: a heavy module, needed only for this download

    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf(
        stylesheets=[CSS(string=PDF_CSS)])


if __name__ == "__main__":  # the child: HTML on stdin, the base URL as argument, the PDF on stdout
    sys.stdout.buffer.write(_render(sys.stdin.buffer.read().decode("utf-8"), sys.argv[1]))
