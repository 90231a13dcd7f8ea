"""The fictional province: regions (GB/T 2260-style codes), systems and units.

Codes keep the real province prefix 32 and the GB/T 2260 conventions (districts 02–20,
counties 21–80, county-level cities 81–99; towns: 街道 001–, 镇 101–, 乡 201–); every
name below the province prefix is an invented combination of characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.common import Floats, Ints, Objects
from pool.synthetic.names import place_names

PROVINCE_CODE = "320000"
PROVINCE_NAME = "江淮省"
FIRST_CITY = "云川"
# Hand-picked names for the first city's districts, counties and county-level city.
_FIRST_DISTRICTS = ("东溪", "青岚", "鹭洲")
_FIRST_COUNTIES = ("凤栖", "柳塘", "云岭", "石岙", "梅坞")
_FIRST_COUNTY_CITIES = ("澄湖",)

SYSTEMS: tuple[tuple[str, str, str], ...] = (
    ("education", "教育", "education"),
    ("health", "卫健", "health"),
    ("politics_law", "政法", "politics and law"),
    ("finance", "财政", "finance"),
    ("natural_resources", "自然资源", "natural resources"),
    ("housing", "住建", "housing and construction"),
    ("transport", "交通", "transport"),
    ("agriculture", "农业农村", "agriculture and rural affairs"),
    ("market_regulation", "市场监管", "market regulation"),
    ("environment", "生态环境", "ecology and environment"),
    ("human_resources", "人社", "human resources and social security"),
    ("civil_affairs", "民政", "civil affairs"),
    ("state_assets", "国资", "state-owned assets"),
    ("culture_tourism", "文旅", "culture and tourism"),
    ("party_mass", "党群", "party and mass organizations"),
    ("township", "乡镇街道", "townships and subdistricts"),
)

# tag, parent tag, system, kind, staff weight, name suffix at province / city / county
# level (None: no such unit at that level). Ordered by priority: a scale keeps the first
# units of this list, and a parent always comes before its children.
_TEMPLATE: tuple[tuple[str, str | None, str, str, float, str | None, str | None, str | None],
                 ...] = (
    ("org", None, "party_mass", "organ", 1.0, "委组织部", "委组织部", "委组织部"),
    ("zfw", None, "politics_law", "organ", 0.8, "委政法委员会", "委政法委员会", "委政法委员会"),
    ("police", None, "politics_law", "organ", 3.0, "公安厅", "公安局", "公安局"),
    ("edu", None, "education", "organ", 1.2, "教育厅", "教育局", "教育局"),
    ("health", None, "health", "organ", 1.2, "卫生健康委员会", "卫生健康委员会",
     "卫生健康委员会"),
    ("fin", None, "finance", "organ", 1.2, "财政厅", "财政局", "财政局"),
    ("nr", None, "natural_resources", "organ", 1.2, "自然资源厅", "自然资源和规划局",
     "自然资源局"),
    ("housing", None, "housing", "organ", 1.2, "住房和城乡建设厅", "住房和城乡建设局",
     "住房和城乡建设局"),
    ("agri", None, "agriculture", "organ", 1.2, "农业农村厅", "农业农村局", "农业农村局"),
    ("mr", None, "market_regulation", "organ", 1.5, "市场监督管理局", "市场监督管理局",
     "市场监督管理局"),
    ("sasac", None, "state_assets", "organ", 0.6, "人民政府国有资产监督管理委员会",
     "人民政府国有资产监督管理委员会", "人民政府国有资产监督管理委员会"),
    ("school1", "edu", "education", "institution", 2.0, None, "第一中学", "第一中学"),
    ("hosp", "health", "health", "institution", 3.0, "人民医院", "第一人民医院", "人民医院"),
    ("ctyinv", None, "housing", "enterprise", 1.5, None, "城市建设投资集团有限公司",
     "城市建设投资有限公司"),
    ("court", None, "politics_law", "organ", 1.5, "高级人民法院", "中级人民法院", "人民法院"),
    ("proc", None, "politics_law", "organ", 1.2, "人民检察院", "人民检察院", "人民检察院"),
    ("transport", None, "transport", "organ", 1.2, "交通运输厅", "交通运输局", "交通运输局"),
    ("env", None, "environment", "organ", 1.0, "生态环境厅", "生态环境局", "生态环境局"),
    ("hr", None, "human_resources", "organ", 1.0, "人力资源和社会保障厅",
     "人力资源和社会保障局", "人力资源和社会保障局"),
    ("civil", None, "civil_affairs", "organ", 0.9, "民政厅", "民政局", "民政局"),
    ("culture", None, "culture_tourism", "organ", 0.9, "文化和旅游厅", "文化广电和旅游局",
     "文化广电和旅游局"),
    ("audit", None, "finance", "organ", 0.8, "审计厅", "审计局", "审计局"),
    ("pub", None, "party_mass", "organ", 0.7, "委宣传部", "委宣传部", "委宣传部"),
    ("justice", None, "politics_law", "organ", 0.8, "司法厅", "司法局", "司法局"),
    ("water", None, "agriculture", "organ", 1.0, "水利厅", "水利局", "水利局"),
    ("vet", None, "civil_affairs", "organ", 0.6, "退役军人事务厅", "退役军人事务局",
     "退役军人事务局"),
    ("union", None, "party_mass", "organ", 0.5, "总工会", "总工会", "总工会"),
    ("women", None, "party_mass", "organ", 0.4, "妇女联合会", "妇女联合会", "妇女联合会"),
    ("cdc", "health", "health", "institution", 1.0, "疾病预防控制中心", "疾病预防控制中心",
     "疾病预防控制中心"),
    ("tcm", "health", "health", "institution", 2.0, "中医院", "中医院", "中医院"),
    ("school2", "edu", "education", "institution", 1.8, None, "第二中学", "第二中学"),
    ("primary", "edu", "education", "institution", 1.5, None, "实验小学", "实验小学"),
    ("treasury", "fin", "finance", "institution", 0.5, "财政国库支付中心", "财政国库支付中心",
     "财政国库支付中心"),
    ("estate", "nr", "natural_resources", "institution", 0.6, None, "不动产登记中心",
     "不动产登记中心"),
    ("fund", "housing", "housing", "institution", 0.6, None, "住房公积金管理中心", None),
    ("social", "hr", "human_resources", "institution", 0.8, "社会保险事业管理中心",
     "社会保险事业管理中心", "社会保险事业管理中心"),
    ("agritech", "agri", "agriculture", "institution", 0.7, None, "农业技术推广中心",
     "农业技术推广中心"),
    ("welfare", "civil", "civil_affairs", "institution", 0.6, None, "社会福利院", "社会福利院"),
    ("library", "culture", "culture_tourism", "institution", 0.5, "图书馆", "图书馆", "图书馆"),
    ("envmon", "env", "environment", "institution", 0.5, "生态环境监测中心", "环境监测站",
     "环境监测站"),
    ("traffic", "police", "politics_law", "organ", 1.5, "公安厅交通警察总队",
     "公安局交通警察支队", "公安局交通警察大队"),
    ("road", "transport", "transport", "institution", 0.8, "公路事业发展中心",
     "公路事业发展中心", "公路事业发展中心"),
    ("quality", "mr", "market_regulation", "institution", 0.6, "产品质量监督检验研究院",
     "产品质量监督检验所", None),
    ("mch", "health", "health", "institution", 1.2, "妇幼保健院", "妇幼保健院", "妇幼保健院"),
    ("transinv", None, "transport", "enterprise", 1.2, "交通投资集团有限公司",
     "交通投资集团有限公司", None),
    ("assets", None, "state_assets", "enterprise", 0.8, "国有资本投资运营有限公司",
     "国有资产投资经营有限公司", "国有资产经营有限公司"),
    ("estate_co", "ctyinv", "housing", "enterprise", 0.8, None, "城投置业有限公司", None),
    ("tour", None, "culture_tourism", "enterprise", 0.8, None, "文化旅游发展集团有限公司",
     None),
    ("water_co", None, "housing", "enterprise", 1.0, None, "水务集团有限公司", "自来水有限公司"),
)
LEVEL_PROVINCE, LEVEL_CITY, LEVEL_COUNTY, LEVEL_TOWN = 0, 1, 2, 3


@dataclass(frozen=True)
class Geography:
    """All regions (province first) and, per level, which rows belong where."""

    codes: Objects
    names: Objects
    parents: Objects  # parent code, None for the province
    city_rows: Ints
    city_names: list[str]  # with suffix, e.g. 云川市
    county_rows: Ints
    county_city: Ints  # city position of each county
    county_names: list[str]
    county_weight: Floats  # share of the population living there
    town_rows: Ints
    town_county: Ints  # county position of each town
    town_names: list[str]

    @property
    def n_counties(self) -> int:
        return len(self.county_rows)

    @property
    def n_cities(self) -> int:
        return len(self.city_rows)


@dataclass(frozen=True)
class Units:
    """The units, with the attributes the rest of the generator samples from."""

    keys: Objects
    names: Objects
    region_codes: Objects
    systems: Objects
    parents: Ints  # row of the parent unit or -1
    supervisors: Ints  # row of the supervising unit or -1
    kinds: Objects
    levels: Ints  # LEVEL_*
    pools: Ints  # county position, n_counties + city position, or n_counties + n_cities
    weights: Floats  # relative staff size
    posts: Objects  # (n, 5) post titles for career levels 0..4
    n_pools: int

    def __len__(self) -> int:
        return len(self.keys)


def build_geography(
    rng: np.random.Generator, cities: int, counties_per_city: int, towns: tuple[int, int]
) -> Geography:
    codes: list[str] = [PROVINCE_CODE]
    names: list[str] = [PROVINCE_NAME]
    parents: list[str | None] = [None]
    taken = {FIRST_CITY}
    city_bases = [FIRST_CITY, *place_names(rng, cities - 1, taken)]
    taken |= set(city_bases)
    city_rows, city_names = [], []
    county_rows, county_city, county_names, county_weight = [], [], [], []
    town_rows, town_county, town_names = [], [], []
    for c, base in enumerate(city_bases):
        city_code = f"32{c + 1:02d}00"
        city_rows.append(len(codes))
        city_names.append(base + "市")
        codes.append(city_code)
        names.append(base + "市")
        parents.append(PROVINCE_CODE)
        n_districts = max(1, round(counties_per_city / 3)) if counties_per_city > 1 else 0
        n_cc = 1 if counties_per_city >= 3 else 0
        n_plain = counties_per_city - n_districts - n_cc
        kinds = ["区"] * n_districts + ["县"] * n_plain + ["市"] * n_cc
        fixed = {"区": list(_FIRST_DISTRICTS), "县": list(_FIRST_COUNTIES),
                 "市": list(_FIRST_COUNTY_CITIES)} if c == 0 else {"区": [], "县": [], "市": []}
        serial = {"区": 2, "县": 21, "市": 81}
        for kind in kinds:
            base_name = fixed[kind].pop(0) if fixed[kind] else place_names(rng, 1, taken)[0]
            taken.add(base_name)
            county_code = f"{city_code[:4]}{serial[kind]:02d}"
            serial[kind] += 1
            county_rows.append(len(codes))
            county_city.append(c)
            county_names.append(base_name + kind)
            county_weight.append({"区": 1.3, "县": 1.0, "市": 1.2}[kind] * rng.uniform(0.7, 1.3))
            codes.append(county_code)
            names.append(base_name + kind)
            parents.append(city_code)
            n_towns = int(rng.integers(towns[0], towns[1] + 1))
            p_kind = {"区": (0.75, 0.25, 0.0), "县": (0.1, 0.65, 0.25), "市": (0.3, 0.7, 0.0)}[kind]
            town_kinds = rng.choice(3, size=n_towns, p=p_kind)
            town_bases = place_names(rng, n_towns, {base_name})
            counters = [1, 101, 201]
            for t_kind, t_base in zip(town_kinds.tolist(), town_bases, strict=True):
                suffix = ("街道", "镇", "乡")[t_kind]
                town_rows.append(len(codes))
                town_county.append(len(county_rows) - 1)
                town_names.append(t_base + suffix)
                codes.append(f"{county_code}{counters[t_kind]:03d}")
                counters[t_kind] += 1
                names.append(t_base + suffix)
                parents.append(county_code)
    weight = np.array(county_weight)
    return Geography(
        codes=np.array(codes, dtype=object), names=np.array(names, dtype=object),
        parents=np.array(parents, dtype=object),
        city_rows=np.array(city_rows, dtype=np.int64), city_names=city_names,
        county_rows=np.array(county_rows, dtype=np.int64),
        county_city=np.array(county_city, dtype=np.int64), county_names=county_names,
        county_weight=weight / weight.sum(),
        town_rows=np.array(town_rows, dtype=np.int64),
        town_county=np.array(town_county, dtype=np.int64), town_names=town_names,
    )


def _posts(name: str, kind: str) -> tuple[str, str, str, str, str]:
    """Post titles for career levels 0 (staff) to 4 (head of the unit)."""
    if kind == "enterprise":
        return ("职员", "部门副经理", "部门经理", "副总经理", "总经理")
    if kind == "township":
        head = "乡长" if name.endswith("乡人民政府") else "镇长"
        head = "主任" if name.endswith("办事处") else head
        return ("科员", "站所负责人", "党政办主任", "副" + head, head)
    if name.endswith(("中学", "小学")):
        return ("教师", "教研组长", "教务处主任", "副校长", "校长")
    if name.endswith(("医院", "保健院")):
        return ("医师", "主治医师", "科主任", "副院长", "院长")
    if name.endswith("法院"):
        return ("法官助理", "审判员", "庭长", "副院长", "院长")
    if name.endswith("检察院"):
        return ("检察官助理", "检察官", "部门主任", "副检察长", "检察长")
    heads = (("委员会", "主任"), ("厅", "厅长"), ("局", "局长"), ("部", "部长"),
             ("工会", "主席"), ("联合会", "主席"), ("中心", "主任"), ("站", "站长"),
             ("所", "所长"), ("馆", "馆长"), ("院", "院长"), ("支队", "支队长"),
             ("大队", "大队长"), ("总队", "总队长"))
    head = next((h for suffix, h in heads if name.endswith(suffix)), "主任")
    staff = "科员" if kind == "organ" else "工作人员"
    return (staff, "副科长", "科长", "副" + head, head)


def build_units(
    rng: np.random.Generator, geo: Geography, province_units: int, city_units: int,
    county_units: int, township_share: float,
) -> Units:
    rows: list[tuple[str, str, str, int, int, str, int, int, float, tuple[str, ...]]] = []

    def add_level(prefix: str, region: str, level: int, pool: int, limit: int) -> None:
        by_tag: dict[str, int] = {}
        for tag, parent, system, kind, weight, *suffixes in _TEMPLATE:
            if len(by_tag) >= limit:
                break
            suffix = suffixes[level]
            if suffix is None or (parent is not None and parent not in by_tag):
                continue
            name = prefix + suffix
            supervisor = by_tag.get("sasac", -1) if kind == "enterprise" else -1
            by_tag[tag] = len(rows)
            rows.append((name, region, system, by_tag.get(parent, -1) if parent else -1,
                         supervisor, kind, level, pool, weight, _posts(name, kind)))

    n_counties, n_cities = geo.n_counties, geo.n_cities
    add_level(PROVINCE_NAME, PROVINCE_CODE, LEVEL_PROVINCE, n_counties + n_cities,
              province_units)
    for c in range(n_cities):
        add_level(geo.city_names[c], geo.codes[geo.city_rows[c]], LEVEL_CITY, n_counties + c,
                  city_units)
        for k in np.flatnonzero(geo.county_city == c).tolist():
            add_level(geo.county_names[k], geo.codes[geo.county_rows[k]], LEVEL_COUNTY, k,
                      county_units)
            towns = np.flatnonzero(geo.town_county == k)
            n_pick = round(township_share * len(towns))
            for t in np.sort(rng.permutation(towns)[:n_pick]).tolist():
                town = geo.town_names[t]
                name = town + ("办事处" if town.endswith("街道") else "人民政府")
                rows.append((name, geo.codes[geo.town_rows[t]], "township", -1, -1,
                             "township", LEVEL_TOWN, k, 1.2, _posts(name, "township")))
    n = len(rows)
    return Units(
        keys=np.array([f"U{i:05d}" for i in range(1, n + 1)], dtype=object),
        names=np.array([r[0] for r in rows], dtype=object),
        region_codes=np.array([r[1] for r in rows], dtype=object),
        systems=np.array([r[2] for r in rows], dtype=object),
        parents=np.array([r[3] for r in rows], dtype=np.int64),
        supervisors=np.array([r[4] for r in rows], dtype=np.int64),
        kinds=np.array([r[5] for r in rows], dtype=object),
        levels=np.array([r[6] for r in rows], dtype=np.int64),
        pools=np.array([r[7] for r in rows], dtype=np.int64),
        weights=np.array([r[8] for r in rows], dtype=np.float64),
        posts=np.array([r[9] for r in rows], dtype=object).reshape(n, 5),
        n_pools=n_counties + n_cities + 1,
    )
