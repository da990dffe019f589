"""Charset decisions of decode_html: BOM, HTTP header, <meta>, UTF-8 with a cp1252 fallback, lying labels."""

from __future__ import annotations

import codecs
import random

import pytest

from scraper.encoding import decode_html, meta_charset, normalize_charset
from scraper.parse import parse_html

TEXT = "Pemkot gelar “operasi pasar” — harga beras turun Rp1.000 • café"


def html(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_plain_utf8() -> None:
    assert TEXT in decode_html(html(TEXT).encode("utf-8"))


@pytest.mark.parametrize(("bom", "codec"), [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_bom_wins_over_everything(bom: bytes, codec: str) -> None:
    data = bom + html(TEXT, "<meta charset='iso-8859-1'>").encode(codec)
    out = decode_html(data, http_charset="windows-1251")
    assert TEXT in out
    assert not out.startswith("\ufeff")


def test_http_charset_beats_meta() -> None:
    data = html("Привет мир", "<meta charset='utf-8'>").encode("cp1251")
    assert "Привет мир" in decode_html(data, http_charset="windows-1251")


def test_meta_charset_and_http_equiv() -> None:
    data = html("Привет", "<meta charset=\"windows-1251\">").encode("cp1251")
    assert "Привет" in decode_html(data)
    data2 = html("Привет", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
                 ).encode("cp1251")
    assert "Привет" in decode_html(data2)


def test_meta_after_the_first_4kb_is_ignored() -> None:
    data = ("<html><head>" + "<!-- " + "x" * 5000 + " -->" + "<meta charset='windows-1251'></head><body>"
            + TEXT + "</body></html>").encode("utf-8")
    assert TEXT in decode_html(data)


def test_no_declaration_and_not_utf8_falls_back_to_cp1252() -> None:
    data = html(TEXT).encode("cp1252", errors="replace")
    assert TEXT in decode_html(data)


def test_mostly_utf8_with_stray_cp1252_bytes_keeps_both() -> None:
    data = html("Harga “naik” ").encode("utf-8") + b"\x93kutipan\x94" + "— café".encode()
    out = decode_html(data)
    assert "Harga “naik”" in out and "“kutipan”" in out and "— café" in out


def test_lying_latin1_label_on_utf8_bytes() -> None:
    data = html(TEXT, "<meta charset='iso-8859-1'>").encode("utf-8")
    assert TEXT in decode_html(data)
    assert TEXT in decode_html(html(TEXT).encode("utf-8"), http_charset="ISO-8859-1")
    assert "â€" not in decode_html(data)


def test_real_latin1_label_is_read_as_cp1252() -> None:
    data = html("“operasi pasar” — café", "<meta charset='iso-8859-1'>").encode("cp1252")
    assert "“operasi pasar” — café" in decode_html(data)


def test_undefined_cp1252_bytes_become_replacement_characters() -> None:
    out = decode_html(b"<p>a\x81b\x8dc</p>", http_charset="windows-1252")
    assert out == "<p>a\ufffdb\ufffdc</p>"


def test_unknown_or_unusable_labels_are_ignored() -> None:
    data = html(TEXT).encode("utf-8")
    assert TEXT in decode_html(data, http_charset="no-such-charset")
    assert TEXT in decode_html(data, http_charset="base64")
    assert normalize_charset("rot13") is None
    assert normalize_charset(" UTF8 ") == "utf-8"
    assert normalize_charset("latin1") == "cp1252"
    assert meta_charset(b"<meta charset=utf-16>") == "utf-8"


def test_garbage_never_raises() -> None:
    rng = random.Random(1234)
    for _ in range(50):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        assert isinstance(decode_html(data), str)
        assert isinstance(decode_html(data, http_charset="utf-16"), str)
        assert isinstance(decode_html(b"\xff\xfe" + data), str)
    assert decode_html(b"") == ""


def test_parse_html_decodes_bytes_with_the_given_charset() -> None:
    body = ("Pemkot Serang menggelar operasi pasar murah di 13 kecamatan untuk menekan harga beras yang "
            "naik dalam dua pekan terakhir, kata wali kota kepada wartawan.")
    data = (f"<html><body><article><h1>Judul berita</h1><div class='entry-content'><p>{body} “Привет”</p>"
            f"<p>{body}</p></div></article></body></html>").encode("cp1251", errors="replace")
    art = parse_html(data, "https://example.id/a", charset="windows-1251")
    assert "“Привет”" in art.text


# ---- only WHATWG encoding labels count (issue 14) -----------------------------------------------------
ARTICLE = ("<html><head><title>Banjir</title></head><body><article><h1>Banjir Rendam Jakarta Timur</h1>"
           + "".join(f"<p>Paragraf {i}: hujan deras sejak Senin pagi merendam puluhan rumah warga — café.</p>"
                     for i in range(6)) + "</article></body></html>")


@pytest.mark.parametrize("label", ["punycode", "rot13", "base64", "idna", "utf-7", "utf-32", "utf_32_le",
                                   "hex", "zlib", "unicode_escape", "raw_unicode_escape", "mbcs", "cp65001"])
def test_non_web_codec_names_are_ignored_everywhere(label: str) -> None:
    assert normalize_charset(label) is None
    data = ARTICLE.encode("utf-8")
    assert "— café" in decode_html(data, http_charset=label)                                 # HTTP header
    meta = ARTICLE.replace("<head>", f"<head><meta charset='{label}'>").encode("utf-8")
    assert "— café" in decode_html(meta)                                                     # <meta charset>
    equiv = ARTICLE.replace("<head>", f'<head><meta http-equiv="Content-Type" content="text/html; charset={label}">')
    assert "— café" in decode_html(equiv.encode("utf-8"))                                    # <meta http-equiv>


def test_a_non_web_label_falls_through_to_the_next_rule() -> None:
    # header ignored -> the <meta> decides
    data = ARTICLE.replace("café", "Привет").replace("<head>", "<head><meta charset='windows-1251'>").encode("cp1251")
    assert "Привет" in decode_html(data, http_charset="punycode")


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "unicode", "ucs-2"])
def test_declared_utf16_on_ascii_markup_does_not_lose_the_article(label: str) -> None:
    data = ARTICLE.encode("utf-8")
    out = decode_html(data, http_charset=label)
    assert "Banjir Rendam Jakarta Timur" in out and "— café" in out
    art = parse_html(data, "https://x.example/2025/01/banjir/", charset=label)
    assert art.title == "Banjir Rendam Jakarta Timur" and "hujan deras" in art.text
    meta = ARTICLE.replace("<head>", f"<head><meta charset='{label}'>").encode("utf-8")
    assert "— café" in decode_html(meta)


def test_declared_utf16_on_real_utf16_still_decodes() -> None:
    for codec, label in (("utf-16-le", "utf-16le"), ("utf-16-be", "utf-16be"), ("utf-16-le", "utf-16")):
        assert "— café" in decode_html(ARTICLE.encode(codec), http_charset=label)


def test_x_user_defined_odd_case_and_latin1() -> None:
    assert normalize_charset("x-user-defined") == "cp1252"
    assert "— café" in decode_html(ARTICLE.encode("utf-8"), http_charset="x-user-defined")
    assert "— café" in decode_html(ARTICLE.encode("cp1252"), http_charset="x-user-defined")
    assert normalize_charset("  UTF8 ") == "utf-8"
    assert normalize_charset("\tWindows-1251\n") == "cp1251"
    meta = ARTICLE.replace("<head>", "<head><meta charset='  UTF8 '>").encode("utf-8")
    assert "— café" in decode_html(meta)
    assert normalize_charset("latin1") == "cp1252"            # WHATWG: latin1 is windows-1252
    assert normalize_charset("ISO-8859-1") == "cp1252"
    assert normalize_charset("us-ascii") == "cp1252"
    data = ARTICLE.replace("café", "“kutipan”").encode("cp1252")
    assert "“kutipan”" in decode_html(data, http_charset="latin1")   # 0x93/0x94 are quotes, not C1 controls


def test_every_whatwg_label_has_a_working_codec() -> None:
    from scraper.encoding import WHATWG_LABELS

    assert len(WHATWG_LABELS) > 200
    for label, codec in WHATWG_LABELS.items():
        assert codecs.lookup(codec)._is_text_encoding, label   # type: ignore[attr-defined]
        if not codec.startswith("utf-16"):
            assert b"<p>x</p>".decode(codec) == "<p>x</p>", label    # ASCII-compatible


# ---- declarations the bytes contradict (issue 13) -------------------------------------------------------
CJK = ARTICLE.replace("café", "人民网北京十二月一日电").replace("Banjir Rendam", "北京 Banjir Rendam")


@pytest.mark.parametrize("label", ["gb2312", "GBK", "gb18030", "shift_jis", "euc-jp", "euc-kr", "big5",
                                   "windows-1251", "koi8-r", "iso-8859-2"])
def test_meta_charset_over_utf8_bytes_reads_utf8(label: str) -> None:
    data = CJK.replace("<head>", f"<head><meta charset='{label}'>").encode("utf-8")
    out = decode_html(data)
    assert "人民网北京十二月一日电" in out and "北京 Banjir Rendam" in out
    equiv = CJK.replace("<head>", f'<head><meta http-equiv="Content-Type" content="text/html; charset={label}">')
    assert "人民网北京十二月一日电" in decode_html(equiv.encode("utf-8"))


def test_meta_charset_that_fits_the_bytes_is_kept() -> None:
    for codec, label, text in (("gb18030", "gb2312", "人民网北京十二月一日电"), ("cp932", "shift_jis", "東京新聞"),
                               ("cp1251", "windows-1251", "Привет мир")):
        data = ARTICLE.replace("— café", text).replace("<head>", f"<head><meta charset='{label}'>").encode(codec)
        assert text in decode_html(data)


def test_http_charset_still_beats_the_bytes() -> None:
    # SPEC order: a server that says GB2312 is believed (only a lying <meta> is corrected)
    data = ARTICLE.replace("café", "人民网").encode("gb18030")
    assert "人民网" in decode_html(data, http_charset="gb2312")
    assert "人民网" in decode_html(data.replace(b"<head>", b"<head><meta charset='utf-8'>"), http_charset="gbk")


def test_seven_bit_charset_on_high_bytes_falls_through() -> None:
    data = CJK.replace("<head>", "<head><meta charset='iso-2022-jp'>").encode("utf-8")
    assert "人民网北京十二月一日电" in decode_html(data)
    assert "人民网北京十二月一日电" in decode_html(CJK.encode("utf-8"), http_charset="iso-2022-jp")
    real = ARTICLE.replace("— café", "東京新聞").replace("<head>", "<head><meta charset='iso-2022-jp'>")
    assert "東京新聞" in decode_html(real.encode("iso2022_jp"))


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "utf-32", "utf-32be", "base64", "rot13", "zlib",
                                   "x-no-such-charset"])
def test_unusable_header_falls_through_to_the_meta(label: str) -> None:
    data = ARTICLE.replace("café", "Привет").replace("<head>", "<head><meta charset='windows-1251'>").encode("cp1251")
    assert "Привет" in decode_html(data, http_charset=label)
    art = parse_html(data, "https://x.example/2025/01/banjir/", charset=label)
    assert "Привет" in art.text and art.title == "Banjir Rendam Jakarta Timur"


# ---- UTF-8 encoded twice ----------------------------------------------------------------------------
def _twice(text: str) -> str:
    """``text`` as a CMS that read its UTF-8 as latin-1 stores it."""
    return text.encode("utf-8").decode("latin-1")


def test_utf8_encoded_twice_is_repaired() -> None:
    from scraper.encoding import repair_double_utf8

    good = "An investor’s guide — “index funds” for a café in São Paulo, 25 °C, 🎉"
    bad = _twice(good)
    assert repair_double_utf8(bad, bad.encode("utf-8")) == (good, good.encode("utf-8"))


def test_text_without_double_encoding_is_left_alone() -> None:
    from scraper.encoding import repair_double_utf8

    for text in ("Ã© is how a French café looks when it goes wrong; Â° too",   # no C1 control: not touched
                 "Harga naik 5 % — kata “Menteri”",
                 _twice("one ’ only") + " and the rest is fine"):            # one sequence is not enough
        data = text.encode("utf-8")
        assert repair_double_utf8(text, data) == (text, data)


def test_a_page_encoded_twice_parses_to_its_real_characters() -> None:
    from scraper.parse import parse_html

    title = "A DIY Investor’s Guide to Retirement Calculators"
    para = ("Retirement calculators don’t agree — and that’s the point: each one assumes a “safe” withdrawal "
            "rate, a return and an inflation figure that you should check before you trust its answer.")
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{para}</p><p>{para}</p></article></body></html>")
    art = parse_html(_twice(html).encode("utf-8"), "https://finance.example/calculators")
    assert art.title == title
    assert para in art.text and "â\x80" not in art.text


def test_double_encoding_repair_is_linear_on_hostile_input() -> None:
    import time

    from scraper.encoding import repair_double_utf8

    text = "Ã\x80" * 300_000 + "â\x80" * 200_000 + "x"
    started = time.perf_counter()
    repair_double_utf8(text, text.encode("utf-8"))
    assert time.perf_counter() - started < 5.0
