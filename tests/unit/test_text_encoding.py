"""Which encoding a CSV file is read in: UTF-8 whenever it is valid and plausible, GB18030
for legacy Chinese files (also those that happen to be valid UTF-8), nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from pool.text_encoding import GB18030, UTF8, UnknownEncoding, detect_encoding

TABLE = "人员编号,姓名,备注\nP001,张三,在财政局任科员\nP002,𠮷文博,\nP003,买买提·艾力,—\n"
GBK_BUT_VALID_UTF8 = "key,name\n" + "".join(
    f"P{i},{name}\n" for i, name in enumerate(["谢伟", "肖英", "叶平", "石强", "魏霞", "陆萍"]))


def _detect(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return detect_encoding(path)


@pytest.mark.parametrize("text", [
    TABLE, "", "key,name\nP1,Bob\n", "key,name\nP1,José Müller\nP2,François Lefèvre\n",
    # words of one alphabet: real Russian, Uyghur, Greek text, not GBK read as UTF-8
    "姓名,备注\nИван Петров,«Москва»\nОльга Сергеевна,\n",
    "key,name\nP1,ئەخمەت تۇرسۇن\nP2,مۇھەممەت ئىمىن\n", "key,note\nP1,αβγ δέλτα\n",
])
def test_valid_utf8_is_read_as_utf8(text: str, tmp_path: Path) -> None:
    assert _detect(tmp_path, text.encode("utf-8")) == UTF8


def test_a_bom_declares_utf8_even_over_a_gbk_lookalike(tmp_path: Path) -> None:
    data = GBK_BUT_VALID_UTF8.encode("gbk").decode("utf-8").encode("utf-8-sig")
    assert _detect(tmp_path, data) == UTF8


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_legacy_chinese_is_read_as_gb18030(codec: str, tmp_path: Path) -> None:
    # 𠮷 is in neither older encoding, the middle dot and the dash not in GB2312
    older = TABLE.replace("𠮷", "吉").replace("·", "").replace("—", "")
    text = TABLE if codec == "gb18030" else older
    assert _detect(tmp_path, text.encode(codec)) == GB18030


def test_gbk_bytes_that_are_valid_utf8_are_read_as_gb18030(tmp_path: Path) -> None:
    data = GBK_BUT_VALID_UTF8.encode("gbk")
    assert "лΰ" in data.decode("utf-8")
    assert _detect(tmp_path, data) == GB18030


@pytest.mark.parametrize(("text", "codec", "zh"), [
    ("key,name\nP1,José Müller\n", "cp1252", "无法识别文件编码，请另存为 UTF-8 CSV"),
    (TABLE, "utf-16", "无法识别文件编码，请另存为 UTF-8 CSV"),
    ("單位編號,單位名稱\nU01,臺北市政府財政局\nU02,國立臺灣大學\n", "big5",
     "文件似乎是 Big5（繁体中文）编码，请另存为 UTF-8 CSV"),
])
def test_other_encodings_are_refused_with_what_to_do(text: str, codec: str, zh: str,
                                                     tmp_path: Path) -> None:
    with pytest.raises(UnknownEncoding) as refused:
        _detect(tmp_path, text.encode(codec))
    assert refused.value.zh == zh and "UTF-8 CSV" in refused.value.en
