"""Which text encoding a CSV file is written in: UTF-8 (with or without a BOM) when the
bytes are valid UTF-8 and read as plausible text, otherwise GB18030 (which includes GBK
and GB2312) when charset-normalizer finds the bytes coherent in it. Any other file is
refused with a reason rather than read as mojibake."""

from __future__ import annotations

import bisect
import codecs
import re
from pathlib import Path

import charset_normalizer
import numpy as np

UTF8, GB18030 = "UTF-8", "GB18030"
CODECS = {UTF8: "utf-8-sig", GB18030: "gb18030"}  # the codec that reads each (BOM or not)

_CHUNK = 1 << 20
_SAMPLE = 1 << 20  # the bytes charset-normalizer judges (it samples within them too)
# GBK bytes that happen to be valid UTF-8 read as letters of alphabets Chinese tables do
# not use: two-byte sequences led by 0xCA-0xDF are U+0280-U+07FF (IPA, combining marks,
# Greek, Cyrillic, Armenian, Hebrew, Arabic …), e.g. 谢伟 → "лΰ". Real UTF-8 tables hold
# next to none; past this share of the non-ASCII characters the UTF-8 reading is doubtful.
_FOREIGN_SHARE = 0.2
# Where each alphabet of U+00C0-U+07FF begins after Latin: IPA and modifier letters,
# combining marks, Greek, Cyrillic, Armenian, Hebrew, Arabic, Syriac and the rest.
_ALPHABETS = (0x0250, 0x0300, 0x0370, 0x0400, 0x0530, 0x0590, 0x0600, 0x0700)
_WORD = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u07ff]{2,}")  # not × or ÷


class UnknownEncoding(ValueError):
    """The file is in no encoding the importer reads; zh/en say what to do."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def detect_encoding(file: Path) -> str:
    """`UTF8` or `GB18030`; raises `UnknownEncoding` for anything else."""
    with file.open("rb") as fh:
        if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return UTF8  # a BOM declares UTF-8: the escape hatch when a guess goes wrong
    valid, non_ascii, foreign = _utf8_scan(file)
    if valid and foreign <= _FOREIGN_SHARE * non_ascii:
        return UTF8
    sample = _sample(file)
    if valid and not _mixed_script_words(sample.decode("utf-8")):
        return UTF8
    matches = charset_normalizer.from_bytes(sample, cp_isolation=["gb18030", "big5"],
                                            preemptive_behaviour=False)
    found = {m.encoding for m in matches}
    if "gb18030" in found:
        return GB18030
    if valid:  # doubtful, but no legacy reading is better
        return UTF8
    if "big5" in found:
        raise UnknownEncoding("文件似乎是 Big5（繁体中文）编码，请另存为 UTF-8 CSV",
                              "the file seems to be in Big5 (traditional Chinese); save it "
                              "as UTF-8 CSV")
    raise UnknownEncoding("无法识别文件编码，请另存为 UTF-8 CSV",
                          "unknown text encoding; save the file as UTF-8 CSV")


def reading_note(encoding: str | None) -> tuple[str, str]:
    """What an error in a file adds about its encoding: nothing for UTF-8 (the format's
    own) or a workbook, the encoding otherwise, so that mojibake can be told for what it is."""
    if encoding is None or encoding == UTF8:
        return "", ""
    return f"（该文件按 {encoding} 编码读取）", f" (the file was read as {encoding})"


def _utf8_scan(file: Path) -> tuple[bool, int, int]:
    """Whether the file is valid UTF-8, and (if so) how many characters are non-ASCII and
    how many of those lie in U+0280-U+07FF, counted by their lead bytes, chunk by chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    non_ascii = foreign = 0
    with file.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False, 0, 0
            counts = np.bincount(np.frombuffer(chunk, dtype=np.uint8), minlength=256)
            non_ascii += int(counts[0xC2:].sum())  # lead bytes: one per character
            foreign += int(counts[0xCA:0xE0].sum())
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, 0, 0
    return True, non_ascii, foreign


def _mixed_script_words(text: str) -> bool:
    """Whether a tenth or more of the words of letters from U+00C0-U+07FF mix alphabets
    ("лΰ": Cyrillic and Greek): the mark of GBK read as UTF-8. Words of real Greek,
    Cyrillic, Arabic or Latin text keep to one alphabet each."""
    words = _WORD.findall(text)
    mixed = sum(len({bisect.bisect(_ALPHABETS, ord(c)) for c in w}) > 1 for w in words)
    return mixed > 0 and mixed >= 0.1 * len(words)


def _sample(file: Path) -> bytes:
    """The first `_SAMPLE` bytes, up to the end of a line (no character is cut: a line
    feed is never part of a GB18030 or UTF-8 multi-byte sequence)."""
    with file.open("rb") as fh:
        sample = fh.read(_SAMPLE)
        if len(sample) == _SAMPLE:
            sample += fh.readline()
    return sample
