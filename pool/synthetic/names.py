"""Synthetic Chinese names: common surnames, given-name characters and fictional places.

Every name is a random combination; none is taken from a real person or a real list of
administrative divisions.
"""

from __future__ import annotations

import numpy as np

from pool.synthetic.common import Bools, Ints, Objects, categorical

# Common surnames, most frequent first, with rough relative frequencies.
_SURNAME_ROWS = (
    ("王", 7.1), ("李", 7.0), ("张", 6.8), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.1), ("吴", 2.0), ("周", 1.9), ("徐", 1.4), ("孙", 1.4), ("马", 1.3), ("朱", 1.3),
    ("胡", 1.2), ("郭", 1.2), ("何", 1.1), ("高", 1.1), ("林", 1.1), ("罗", 0.9), ("郑", 0.9),
    ("梁", 0.9), ("谢", 0.8), ("宋", 0.8), ("唐", 0.8), ("许", 0.7), ("韩", 0.7), ("冯", 0.7),
    ("邓", 0.7), ("曹", 0.7), ("彭", 0.6), ("曾", 0.6), ("肖", 0.6), ("田", 0.6), ("董", 0.6),
)
_RARER_SURNAMES = (
    "袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫"
    "段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛")

SURNAMES: tuple[str, ...] = (
    tuple(s for s, _ in _SURNAME_ROWS) + tuple(_RARER_SURNAMES) + _COMPOUND_SURNAMES
)
_SURNAME_WEIGHTS = np.array(
    [w for _, w in _SURNAME_ROWS] + [0.3] * len(_RARER_SURNAMES) + [0.03] * 4
)

_MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清"
    "飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善"
    "厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家"
    "致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
_FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺"
    "媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓仪荷丹蓉"
    "眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希欣飘育滢馥筠柔竹霭凝晓欢霄"
    "枫芸菲寒伊亚宜可舒影荔思丽"
)
MALE_CHARS = np.array(list(_MALE_CHARS), dtype=object)
FEMALE_CHARS = np.array(list(_FEMALE_CHARS), dtype=object)

# Characters outside the Basic Multilingual Plane (CJK Extension B, C, E, F).
RARE_CHARS: tuple[str, ...] = ("𠮷", "𡈽", "𬌗", "𬱖", "𫖮", "𨭉")

# Given names in the style of Uyghur names, joined with a middle dot (U+00B7).
_MINORITY_MALE = ("买买提", "艾力", "艾尔肯", "吐尔逊", "依明", "玉素甫", "阿迪力", "托合提",
                  "热合曼", "阿不都")
_MINORITY_FEMALE = ("阿依古丽", "古丽娜尔", "帕提古丽", "迪丽娜尔", "米娜瓦尔", "努尔古丽")
MIDDLE_DOT = "\u00b7"

# Characters for fictional place names: first and second syllable.
_PLACE_FIRST = "云东西南青白清安长永平宁新丰临盘石金龙凤桃柳松梅兰泉溪湖江岭峰翠碧玉银双澄鹭岚"
_PLACE_SECOND = "川溪阳山源桥口湾坪岭庄集塘堡冈坝圩浦泽林田亭城关渡铺店门滩洲台沟峪岙坞"


def draw_surnames(rng: np.random.Generator, n: int) -> Ints:
    """Indices into `SURNAMES`, drawn with realistic frequencies."""
    return categorical(rng, _SURNAME_WEIGHTS, n)


def given_names(
    rng: np.random.Generator, male: Bools, two_chars: Bools, shared_first: Ints | None = None
) -> Objects:
    """One- or two-character given names; `shared_first` (an index into the gender's
    character list, or -1) puts a generation character (字辈) shared by siblings first."""
    n = len(male)
    pool_size = np.where(male, len(MALE_CHARS), len(FEMALE_CHARS))
    first = np.floor(rng.random(n) * pool_size).astype(np.int64)
    second = np.floor(rng.random(n) * pool_size).astype(np.int64)
    if shared_first is not None:
        first = np.where(shared_first >= 0, shared_first % pool_size, first)
    chars_a = np.where(male, MALE_CHARS[first % len(MALE_CHARS)],
                       FEMALE_CHARS[first % len(FEMALE_CHARS)])
    chars_b = np.where(male, MALE_CHARS[second % len(MALE_CHARS)],
                       FEMALE_CHARS[second % len(FEMALE_CHARS)])
    # a one-character name uses the second draw so that siblings still differ
    return np.where(two_chars, chars_a + chars_b, chars_b)


def full_names(surnames: Ints, given: Objects) -> Objects:
    return np.array(SURNAMES, dtype=object)[surnames] + given


def rare_name(rng: np.random.Generator, surname: int, which: int) -> str:
    """A name with one character outside the Basic Multilingual Plane (`RARE_CHARS` in
    turn, by `which`)."""
    rare = RARE_CHARS[which % len(RARE_CHARS)]
    other = str(MALE_CHARS[int(rng.integers(len(MALE_CHARS)))])
    return SURNAMES[surname] + (rare if rng.random() < 0.5 else other + rare)


def minority_name(rng: np.random.Generator, male: bool) -> str:
    """A Uyghur-style name: own given name · father's given name."""
    own = _MINORITY_MALE if male else _MINORITY_FEMALE
    first = own[int(rng.integers(len(own)))]
    father = _MINORITY_MALE[int(rng.integers(len(_MINORITY_MALE)))]
    return f"{first}{MIDDLE_DOT}{father}"


def place_names(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> list[str]:
    """`n` distinct two-character fictional place names, avoiding `taken`."""
    combos = [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND if a != b]
    order = rng.permutation(len(combos))
    taken = set(taken or ())
    out: list[str] = []
    if n <= 0:
        return out
    for i in order.tolist():
        name = combos[i]
        if name not in taken:
            out.append(name)
            taken.add(name)
            if len(out) == n:
                return out
    raise ValueError(f"cannot make {n} distinct place names")
