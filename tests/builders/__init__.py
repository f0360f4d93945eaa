"""Shared test builders, imported by tests in every folder.

- ``factories``: units, users with roles, cycles, signing in, through the product's services.
- ``seed``: the seed scheme (path, JSON, loaded).
- ``report_world``: a small scheme with a cycle, reporters and scorers (self-report, scoring).
- ``results_case``: a complete cycle with known results inputs, and its ``case`` fixture.
- ``targets``: a small target table and its workbook.
- ``files``: minimal upload files (``PDF``).
- ``databases``: the PostgreSQL test server's URLs; create and drop databases on it.
- ``browser``: chromium through Playwright, and the app served from a thread for it.
- ``org``: the organisation workbook filled in as the office would, and a small college for it.
- ``campus``: throw-away TLS certificates, a real OpenLDAP server (slapd) and SMTP server (aiosmtpd)
  on loopback; ``cas_standin``: a CAS 3.0 server stand-in (fixtures in ``tests/conftest.py``).
"""
