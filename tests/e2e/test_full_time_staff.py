"""专职巡察干部 (full-time inspection staff) in the pool, as people use it: marked over the
API (PATCH, audited), listed with `full_time=true|false`, filtered on the pool page with
"专职巡察干部 / full-time staff" and shown on a cadre's page."""

from __future__ import annotations

import re

from sqlalchemy import update

from pool import models as m
from pool.db import make_engine, transaction
from tests.e2e.api_client import Api
from tests.e2e.test_api_pool import assert_error, data_events, everything, sample
from tests.e2e.test_web_pool import keys_on, signed_in, total_on


def _keys(api: Api, **params: object) -> set[str]:
    items, total = everything(api, "/v1/cadres", **params)
    assert total == len(items)
    return {c["person_key"] for c in items}


def test_full_time_staff_are_marked_listed_and_filtered_over_the_api(api: Api) -> None:
    cadres = [c["人员编号"] for c in sample("cadres")]
    marked = {c["人员编号"] for c in sample("cadres") if c.get("是否专职巡察干部") == "是"}
    assert _keys(api, full_time="true") == marked  # as the sample file marks them
    seconded = [k for k in cadres if k not in marked]
    added = set(seconded[:3])
    staff = marked | added
    first = api.get(f"/v1/cadres/{seconded[0]}").json()
    assert first["full_time"] is False
    for key in sorted(added):
        r = api.call("PATCH", f"/v1/cadres/{key}", json={"full_time": True})
        assert r.status_code == 200, r.text
        assert r.json()["full_time"] is True
    event = data_events(api)[-1]
    assert event["data"]["before"] == {"full_time": False}
    assert event["data"]["after"] == {"full_time": True}
    assert _keys(api, full_time="true") == staff
    assert _keys(api, full_time="false") == set(cadres) - staff
    assert _keys(api, full_time="true", flag="leader_pool") == {
        c["人员编号"] for c in sample("cadres")
        if c["人员编号"] in staff and c["组长库"] == "是"}
    assert_error(api.get("/v1/cadres", params={"full_time": "sometimes"}), 422)
    assert_error(api.call("PATCH", f"/v1/cadres/{seconded[0]}", json={"full_time": None}),
                 422)
    assert api.get(f"/v1/cadres/{seconded[0]}").json()["full_time"] is True


def test_the_pool_page_filters_full_time_staff_and_the_cadre_page_says_so(
        city_sqlite_url: str) -> None:
    cadres = [c["人员编号"] for c in sample("cadres")]
    staff = cadres[5:8]
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:  # exactly these three, whatever the sample says
        session.execute(update(m.Cadre).values(full_time=False))
        session.execute(update(m.Cadre).where(m.Cadre.person_key.in_(staff))
                        .values(full_time=True))
    engine.dispose()
    with signed_in(city_sqlite_url) as p:
        page = p.get("/pool")
        assert '<label class="field__label" for="full_time">专职巡察干部' in page.text
        assert re.search(r'<option value="true">专职巡察干部 full-time staff</option>', page.text)
        only = p.get("/pool?full_time=true").text
        assert total_on(only) == 3 and sorted(keys_on(only)) == sorted(staff)
        assert '<span class="pool-tag">专职</span>' in only
        assert 'selected>专职巡察干部' in only
        seconded = p.get("/pool?full_time=false").text
        assert total_on(seconded) == len(cadres) - 3
        assert 'href="/pool?full_time=false&amp;page=2"' in seconded  # the pager keeps it
        bad = p.get("/pool?full_time=maybe")
        assert bad.status_code == 422
        summary = bad.text.split('class="error-summary"')[1].split("</div>")[0]
        assert 'href="#full_time"' in summary and "请选择专职巡察干部或抽调干部" in summary
        mine = p.get(f"/pool/cadres/{staff[0]}").text
        assert "专职巡察干部 <span lang=\"en\">full-time inspection staff</span>" in mine
        other = p.get(f"/pool/cadres/{cadres[0]}").text
        assert "抽调干部 <span lang=\"en\">seconded from the home unit</span>" in other


def test_evaluations_read_with_their_accountability_finding(sqlite_api: Api) -> None:
    expected = {(e["轮次编号"], e["人员编号"]): e.get("问责情况") or None
                for e in sample("evaluations")}
    items, total = everything(sqlite_api, "/v1/evaluations")
    assert total == len(expected)
    assert {(e["round_key"], e["person_key"]): e["accountability"] for e in items} == expected
