"""One safe redirect helper for every ``next=``: a path on this site only (no scheme, no
``//host``, no backslash, no control character), on sign-in and on deleting an award file."""

import io

import pytest
from sqlmodel import select

from app.models.award import AttachedFile
from app.web.common import is_safe_url, safe_next
from tests.builders import factories as f
from tests.web.test_award_pages import PDF, apply, as_user, setup

UNSAFE = ["//other.host/x", "///other.host/x", "/\\other.host/x", "/\\/other.host", "\\\\other.host",
          "https://other.host/x", "http:/other.host", "javascript:alert(1)", "/\t/other.host", "/\n/other.host",
          "other.host/x", "", None, "//", " //other.host"]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_are_refused(target):
    assert not is_safe_url(target)
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/notices", "/cycles/1/results?x=1#top", "/a//b", "/%2F%2Fother.host"])
def test_paths_on_this_site_are_kept(target):
    assert is_safe_url(target) and safe_next(target, "/home") == target


@pytest.mark.parametrize("target", ["//other.host/x", "/\\other.host/x", "https://other.host/x"])
def test_sign_in_ignores_a_foreign_next(client, session, target):
    f.user(session, "anna")
    session.commit()
    r = client.post("/login", query_string={"next": target}, data={"username": "anna", "password": f.PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(client, session):
    f.user(session, "anna")
    session.commit()
    r = client.post("/login", query_string={"next": "/notices"}, data={"username": "anna", "password": f.PASSWORD})
    assert r.headers["Location"] == "/notices"


@pytest.mark.parametrize("target,expected", [("//other.host/x", "/"), ("/\\other.host/x", "/"),
                                             ("/award/", "/award/")])
def test_deleting_an_award_file_redirects_only_here(client, session, target, expected):
    cycle, u1, _u2 = setup(session)
    as_user(client, "rep1")
    apply(client, cycle, u1, files=[(io.BytesIO(PDF), "证书.pdf")])
    session.expire_all()
    fobj = session.exec(select(AttachedFile)).one()
    r = client.post(f"/award/files/{fobj.id}/delete", data={"next": target})
    assert r.status_code == 302 and r.headers["Location"] == expected
    session.expire_all()
    assert session.exec(select(AttachedFile)).first() is None  # the file itself was deleted
