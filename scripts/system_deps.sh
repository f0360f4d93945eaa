#!/usr/bin/env bash
# Install the Debian packages the test suite needs, if missing: a PostgreSQL server, chromium, a CJK font,
# pango (the year-end report's PDF), and OpenLDAP's slapd + ldap-utils + openssl (the LDAP sign-in tests run
# their own slapd on loopback with a throw-away configuration; the packaged server is left unconfigured).
set -euo pipefail
need=()
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# a CJK font, so browser screenshots (and a PDF of the year-end report) show Chinese text
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# pango, which WeasyPrint (the PDF of the year-end report) lays text out with
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# slapd: no default database and no daemon of its own (the tests start theirs)
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
# a broken download is retried (Acquire::Retries) and the whole step once more after a pause, so one
# dropped connection on a fresh machine does not fail the set-up
apt=($SUDO apt-get -o Acquire::Retries=5 -qq)
for attempt in 1 2 3; do
    if "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${need[@]}" >/dev/null; then
        exit 0
    fi
    echo "apt-get failed (attempt $attempt of 3)" >&2
    sleep $((attempt * 10))
done
exit 1
