"""The evidence drawing of the recusal check page: layers (the cadre first, the target
last, everything between by its position on a path), one edge per step with its dates and
source, relatives reduced to their category when the explanation is without relatives,
and an SVG whose every text is escaped and which carries no style attribute."""

from __future__ import annotations

import datetime as dt
import re

from conflicts.explanation import Edge, Evidence, Explanation, Reason
from conflicts.policy import Kin
from service.web.evidence_graph import MAX_PATHS, evidence_svg, layout

D = dt.date


def explanation(*evidence: Evidence, hard: bool = True) -> Explanation:
    reason = Reason("kin-in-target", "亲属任职回避", "Kin in the target", hard,
                    ("leader", "member"), "《公务员法》第七十四条", "Civil Servant Law art. 74",
                    evidence)
    return Explanation("P1", "王𠮷", "U9", "云川市财政局", D(2026, 11, 1), "default",
                       "2026.1", "0" * 64, (reason,), ("kin-in-target",))


def tie(a: str, a_name: str, b: str, b_name: str, label: str, key: str) -> Edge:
    return Edge("spouse", label, "spouse", a, a_name, b, b_name, D(2018, 1, 6), None,
                f"tie:{key}", "personnel_file", "档案〔2021〕493号", "田超涛")


def works(person: str, name: str, unit: str, unit_name: str) -> Edge:
    return Edge("employment", "任职·医师", "works at", person, name, unit, unit_name,
                D(2018, 7, 1), None, "employment:E1", "personnel_file", "任〔2018〕243号")


def parent(unit: str, unit_name: str) -> Edge:
    return Edge("parent_unit", "下属单位", "has the subordinate unit", unit, unit_name, "U9",
                "云川市财政局", record="unit:U9")


KIN = Evidence((tie("P1", "王𠮷", "P2", "李梅", "妻子", "T1"),
                tie("P2", "李梅", "P3", "李强", "父亲", "T2"),
                works("P3", "李强", "U9", "云川市财政局")), Kin.parent_in_law)
VIA_PARENT = Evidence((works("P1", "王𠮷", "U8", "云川市人民政府"), parent("U8", "云川市人民政府")))


def test_the_cadre_is_first_the_target_last_and_the_rest_by_position() -> None:
    g = layout(explanation(KIN, VIA_PARENT).to_dict())
    layers = {key: n.layer for key, n in g.nodes.items()}
    assert layers == {"P1": 0, "P2": 1, "P3": 2, "U8": 1, "U9": 3}
    assert {n.kind for n in g.nodes.values()} == {"cadre", "person", "unit", "target"}
    assert g.nodes["U8"].kind == "unit" and g.nodes["P2"].kind == "person"
    xs = [g.nodes[k].x for k in ("P1", "P2", "P3", "U9")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert g.nodes["P2"].y != g.nodes["U8"].y  # one layer, two rows
    assert all(n.x >= 0 and n.x + 150 <= g.width and n.y + 46 <= g.height
               for n in g.nodes.values())


def test_each_step_is_one_edge_with_its_dates_and_source() -> None:
    g = layout(explanation(KIN, KIN, VIA_PARENT).to_dict())  # a repeated path: drawn once
    steps = {(e.source, e.target): e for e in g.edges}
    assert set(steps) == {("P1", "P2"), ("P2", "P3"), ("P3", "U9"), ("P1", "U8"), ("U8", "U9")}
    assert steps[("P1", "P2")].labels == ("妻子(2018-01-06—)",)
    assert steps[("P1", "P2")].notes == ("档案 · 档案〔2021〕493号",)
    assert steps[("U8", "U9")].labels == ("下属单位",) and steps[("U8", "U9")].notes == ()
    for e in g.edges:
        if e.lane is None:  # the next layer: from a box's right side to the next's left
            assert e.x1 < e.x2 and g.nodes[e.target].layer == g.nodes[e.source].layer + 1
    # U8 → U9 skips a layer: it curves through a lane below every box
    long = steps[("U8", "U9")]
    assert long.lane is not None and long.lane > max(n.y + 46 for n in g.nodes.values())
    assert long.lane < g.height


def test_steps_between_the_same_nodes_are_merged() -> None:
    home = Evidence((Edge("home_unit", "所在单位", "home unit", "P1", "王𠮷", "U8",
                          "云川市人民政府", record="cadre:P1"), parent("U8", "云川市人民政府")))
    g = layout(explanation(VIA_PARENT, home).to_dict())
    (first,) = [e for e in g.edges if (e.source, e.target) == ("P1", "U8")]
    assert first.labels == ("任职·医师(2018-07-01—)", "所在单位")
    svg = str(evidence_svg(explanation(VIA_PARENT, home).to_dict(), "g"))
    assert svg.count('data-source="P1" data-target="U8"') == 1


def test_without_relatives_only_the_category_is_drawn() -> None:
    ex = explanation(KIN, VIA_PARENT).without_relatives()
    svg = str(evidence_svg(ex.to_dict(), "g0"))
    for hidden in ("李梅", "李强", "P2", "P3", "T1", "档案〔2021〕493号"):
        assert hidden not in svg
    assert "配偶的父母" in svg and "姓名不显示 name withheld" in svg
    assert "王𠮷" in svg and "云川市财政局" in svg and "U8" in svg


def test_the_svg_escapes_every_text_and_has_no_style_attribute() -> None:
    hostile = Evidence((works("P1", "王𠮷", "U8", '<script>alert("x")</script>&'),
                        parent("U8", '<script>alert("x")</script>&')))
    svg = str(evidence_svg(explanation(hostile).to_dict(), 'g"1'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg
    assert 'id="g&#34;1-arrow"' in svg
    assert "style=" not in svg
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert len(re.findall(r'<g class="evidence-graph__node', svg)) == 3
    assert "𠮷" in svg  # outside the BMP, kept as is


def test_long_names_are_cut_with_the_full_name_as_tooltip() -> None:
    long = "云川市东溪区西坞街道社区卫生服务中心第一分中心"
    svg = str(evidence_svg(explanation(Evidence((works("P1", "王𠮷", "U8", long),
                                                 parent("U8", long)))).to_dict(), "g"))
    assert f"<title>{long} U8</title>" in svg
    assert ">云川市东溪区西坞街…<" in svg


def test_nothing_to_draw_and_too_much_to_draw() -> None:
    assert evidence_svg(explanation().to_dict(), "g") is None
    many = [Evidence((works("P1", "王𠮷", f"U{i}", f"单位{i}"), parent(f"U{i}", f"单位{i}")))
            for i in range(20, 20 + MAX_PATHS + 3)]
    g = layout(explanation(*many).to_dict())
    assert g.paths_left_out == 3 and len(g.nodes) == MAX_PATHS + 2
    assert "另有 3 条证据路径未画出" in str(evidence_svg(explanation(*many).to_dict(), "g"))
