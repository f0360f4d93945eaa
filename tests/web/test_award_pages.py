import io

from sqlmodel import select

from app.models import AuditEntry
from app.models.award import AttachedFile, AwardApplication, AwardVote, ExcellenceApplication, Veto
from app.services import stages
from tests.builders import factories as f
from tests.builders.files import PDF
from tests.builders.report_world import small_scheme


def setup(session):
    u1, u2 = f.unit(session, "机电工程学院"), f.unit(session, "信息工程学院")
    f.user(session, "rep1", roles=[{"role": "reporter", "unit_id": u1.id}])
    f.user(session, "rep2", roles=[{"role": "reporter", "unit_id": u2.id}])
    f.user(session, "boss", roles=["office"])
    for i in range(3):
        f.user(session, f"g{i}", roles=["group"])
    cycle = f.cycle(session, scheme=f.scheme(session, small_scheme()))
    session.commit()
    return cycle, u1, u2


def close(session, cycle, kind):
    stages.override_stage(session, actor_id=None, stage=stages.get_stage(session, cycle.id, kind), action="close",
                          reason="测试")
    session.commit()


def as_user(client, name):
    client.post("/logout")
    f.login(client, name)


def apply(client, cycle, unit, files=None, **kw):
    data = {"unit_id": str(unit.id), "title": "省级教学成果奖一等奖", "level": "省级", "achieved_on": "2019-05-01",
            "issuer": "江苏省教育厅", "description": "", "links": "https://example.org/proof"}
    data.update(kw)
    if files:
        data["files"] = files
    return client.post(f"/award/cycles/{cycle.id}/new", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def test_full_award_flow(client, session):
    cycle, u1, u2 = setup(session)
    as_user(client, "rep1")
    r = apply(client, cycle, u1, files=[(io.BytesIO(PDF), "证书.pdf")])
    assert "已提交申报" in r.get_data(as_text=True)
    session.expire_all()
    a = session.exec(select(AwardApplication)).one()
    fobj = session.exec(select(AttachedFile)).one()
    assert fobj.original_name == "证书.pdf" and fobj.content_type == "application/pdf"
    r = client.get(f"/award/files/{fobj.id}")
    assert r.status_code == 200 and r.data == PDF and "attachment" in r.headers["Content-Disposition"]

    as_user(client, "boss")
    assert "省级教学成果奖一等奖" in client.get(f"/award/office/cycles/{cycle.id}").get_data(as_text=True)
    r = client.post(f"/award/office/applications/{a.id}/precheck",
                    data={f"a{a.id}-version": "1", f"a{a.id}-decision": "return", f"a{a.id}-reason": ""},
                    follow_redirects=True)
    assert "须填写原因" in r.get_data(as_text=True)
    client.post(f"/award/office/applications/{a.id}/precheck",
                data={f"a{a.id}-version": "1", f"a{a.id}-decision": "return", f"a{a.id}-reason": "请补充获奖文件"})
    as_user(client, "rep1")
    assert "请补充获奖文件" in client.get(f"/award/cycles/{cycle.id}").get_data(as_text=True)
    r = client.post(f"/award/applications/{a.id}/edit", data={
        "version": "2", "unit_id": str(u1.id), "title": "省级教学成果奖一等奖（补充）", "level": "省级",
        "achieved_on": "2019-05-01", "issuer": "江苏省教育厅", "links": ""}, follow_redirects=True)
    assert "重新提交" in r.get_data(as_text=True)
    as_user(client, "boss")
    client.post(f"/award/office/applications/{a.id}/precheck",
                data={f"a{a.id}-version": "3", f"a{a.id}-decision": "accept", f"a{a.id}-reason": ""})
    session.expire_all()
    assert session.get(AwardApplication, a.id).status == "accepted"

    for name, approve in (("g0", "1"), ("g1", "1"), ("g2", "0")):
        as_user(client, name)
        page = client.get(f"/group/cycles/{cycle.id}/awards").get_data(as_text=True)
        assert "（补充）" in page
        r = client.post(f"/group/applications/{a.id}/vote", data={f"a{a.id}-approve": approve, f"a{a.id}-comment": ""},
                        follow_redirects=True)
        assert "已记录您对" in r.get_data(as_text=True)
    # g2 changes their mind; still one vote each
    client.post(f"/group/applications/{a.id}/vote", data={f"a{a.id}-approve": "1", f"a{a.id}-comment": "改为同意"})
    session.expire_all()
    assert len(session.exec(select(AwardVote)).all()) == 3
    assert "待定" in client.get(f"/award/cycles/{cycle.id}/decisions").get_data(as_text=True)
    assert "评审尚未结束" in client.get(f"/award/public/cycles/{cycle.id}").get_data(as_text=True)
    close(session, cycle, "award")
    r = client.post(f"/group/applications/{a.id}/vote", data={f"a{a.id}-approve": "0", f"a{a.id}-comment": ""},
                    follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    client.post("/logout")
    public = client.get(f"/award/public/cycles/{cycle.id}").get_data(as_text=True)
    assert "机电工程学院" in public and "（补充）" in public
    entities = {e.entity for e in session.exec(select(AuditEntry))}
    assert {"award_application", "award_vote", "award_file"} <= entities


def test_units_see_only_their_own(client, session):
    cycle, u1, u2 = setup(session)
    as_user(client, "rep1")
    apply(client, cycle, u1, files=[(io.BytesIO(PDF), "a.pdf")])
    session.expire_all()
    a = session.exec(select(AwardApplication)).one()
    fobj = session.exec(select(AttachedFile)).one()
    as_user(client, "rep2")
    assert "省级教学成果奖" not in client.get(f"/award/cycles/{cycle.id}").get_data(as_text=True)
    assert client.get(f"/award/applications/{a.id}/edit").status_code == 404
    assert client.post(f"/award/applications/{a.id}/edit", data={"version": "1", "title": "篡改"}).status_code == 404
    assert client.get(f"/award/files/{fobj.id}").status_code == 404
    assert client.post(f"/award/files/{fobj.id}/delete").status_code == 404
    # applying for another unit is refused
    r = apply(client, cycle, u1)
    assert "不是有效选项" in r.get_data(as_text=True) or "Not a valid choice" in r.get_data(as_text=True)
    assert client.get(f"/award/office/cycles/{cycle.id}").status_code == 403
    assert client.get(f"/group/cycles/{cycle.id}/awards").status_code == 403
    assert client.get(f"/award/cycles/{cycle.id}/excellence/{u1.id}").status_code == 404
    session.expire_all()
    assert session.get(AwardApplication, a.id).title == "省级教学成果奖一等奖"
    assert len(session.exec(select(AwardApplication)).all()) == 1


def test_bad_file_and_closed_stage(client, session):
    cycle, u1, u2 = setup(session)
    as_user(client, "rep1")
    r = apply(client, cycle, u1, files=[(io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")])
    assert "类型不允许" in r.get_data(as_text=True)
    assert session.exec(select(AwardApplication)).all() == []
    close(session, cycle, "award")
    r = apply(client, cycle, u1)
    assert "已结束" in r.get_data(as_text=True)
    assert session.exec(select(AwardApplication)).all() == []


def test_excellence_and_vetoes(client, session):
    cycle, u1, u2 = setup(session)
    as_user(client, "rep1")
    r = client.post(f"/award/cycles/{cycle.id}/excellence/{u1.id}", data={
        "version": "0", "unit_id": str(u1.id), "condition": "innovation", "title": "现代学徒制",
        "description": "与企业共同培养", "links": ""}, follow_redirects=True)
    assert "已提交优秀格次申报" in r.get_data(as_text=True)
    session.expire_all()
    e = session.exec(select(ExcellenceApplication)).one()
    as_user(client, "g0")
    assert "现代学徒制" in client.get(f"/group/cycles/{cycle.id}/excellence").get_data(as_text=True)
    r = client.post(f"/award/excellence/{e.id}/decide", data={f"e{e.id}-version": "1", f"e{e.id}-decision": "accept",
                                                               f"e{e.id}-reason": "创新成效明显", "from": "group"},
                    follow_redirects=True)
    assert "已认定" in r.get_data(as_text=True)
    session.expire_all()
    e = session.get(ExcellenceApplication, e.id)
    assert e.status == "accepted" and not e.decided_on_behalf

    as_user(client, "boss")
    page = client.get(f"/award/office/cycles/{cycle.id}/excellence").get_data(as_text=True)
    assert "出现较严重的安全责任事故的" in page
    r = client.post(f"/award/office/cycles/{cycle.id}/vetoes", data={
        "unit_id": str(u2.id), "condition": "safety_accident", "other_text": "", "reason": "实验室火灾", "links": "",
        "files": [(io.BytesIO(PDF), "通报.pdf")]}, content_type="multipart/form-data", follow_redirects=True)
    assert "已记录" in r.get_data(as_text=True)
    session.expire_all()
    v = session.exec(select(Veto)).one()
    r = client.post(f"/award/office/vetoes/{v.id}/withdraw", data={f"v{v.id}-version": "1", f"v{v.id}-reason": ""},
                    follow_redirects=True)
    assert "撤销须填写理由" in r.get_data(as_text=True)
    client.post(
        f"/award/office/vetoes/{v.id}/withdraw", data={f"v{v.id}-version": "1", f"v{v.id}-reason": "复核不属实"}
    )
    session.expire_all()
    assert session.get(Veto, v.id).withdrawn
    vfile = session.exec(select(AttachedFile).where(AttachedFile.owner == "veto")).one()
    as_user(client, "rep2")
    assert client.get(f"/award/files/{vfile.id}").status_code == 404
    assert client.get(f"/award/office/cycles/{cycle.id}/excellence").status_code == 403
    assert client.post(f"/award/office/vetoes/{v.id}/withdraw", data={}).status_code == 403


def test_public_link_listed(client, session):
    setup(session)
    assert "突出贡献奖获奖单位" in client.get("/public/").get_data(as_text=True) or \
        "突出贡献奖获奖单位" in client.get("/").get_data(as_text=True)


def test_veto_page_without_a_scheme_says_so(client, session):
    """The veto conditions come from the cycle's scheme: without one the page says why it cannot
    be shown instead of offering conditions from nowhere."""
    setup(session)
    bare = f.cycle(session, name="无方案周期")
    session.commit()
    as_user(client, "boss")
    r = client.get(f"/award/office/cycles/{bare.id}/excellence")
    assert r.status_code == 409 and "尚未指定考核方案" in r.get_data(as_text=True)
