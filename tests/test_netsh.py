"""Importing real machines' filters from netsh dumps."""

from pathlib import Path

import pytest

from wfpsim.errors import InvalidParameterError
from wfpsim.netsh import load_netsh

DUMPS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wfp-dumps"
TEACHING_COPY = Path(__file__).resolve().parent.parent / "notebooks" / "data" / "fanyi_wfpstate.xml"

SMALL = """\ufeff<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<wfpdiag>
 <filters>
  <item>
   <filterKey>{127a328b-fd7e-49b2-9d88-187ab1271323}</filterKey>
   <displayData><name>Block Telnet</name><description/></displayData>
   <flags numItems="2"><item>FWPM_FILTER_FLAG_PERSISTENT</item><item>FWPM_FILTER_FLAG_INDEXED</item></flags>
   <providerKey/>
   <providerData/>
   <layerKey>FWPM_LAYER_ALE_AUTH_CONNECT_V4</layerKey>
   <subLayerKey>FWPM_SUBLAYER_MPSSVC_WF</subLayerKey>
   <weight><type>FWP_UINT8</type><uint8>10</uint8></weight>
   <filterCondition numItems="3">
    <item><fieldKey>FWPM_CONDITION_IP_REMOTE_PORT</fieldKey><matchType>FWP_MATCH_EQUAL</matchType>
     <conditionValue><type>FWP_UINT16</type><uint16>23</uint16></conditionValue></item>
    <item><fieldKey>FWPM_CONDITION_IP_REMOTE_ADDRESS</fieldKey><matchType>FWP_MATCH_RANGE</matchType>
     <conditionValue><type>FWP_RANGE_TYPE</type><rangeValue>
      <valueLow><type>FWP_UINT32</type><uint32>10.0.0.0</uint32></valueLow>
      <valueHigh><type>FWP_UINT32</type><uint32>10.255.255.255</uint32></valueHigh></rangeValue></conditionValue></item>
    <item><fieldKey>FWPM_CONDITION_ALE_APP_ID</fieldKey><matchType>FWP_MATCH_EQUAL</matchType>
     <conditionValue><type>FWP_BYTE_BLOB_TYPE</type><byteBlob>
      <data>63003a005c0074002e006500780065000000</data><asString>c:\\t.exe</asString></byteBlob></conditionValue></item>
   </filterCondition>
   <action><type>FWP_ACTION_BLOCK</type><filterType/></action>
   <rawContext>0</rawContext>
   <reserved/>
   <filterId>70511</filterId>
   <effectiveWeight><type>FWP_UINT64</type><uint64>11529215046068469760</uint64></effectiveWeight>
  </item>
 </filters>
 <providers/>
</wfpdiag>
"""


def test_small_dump_round_trip(tmp_path: Path) -> None:
    """A filter keeps its name, run-time id, effective weight and conditions."""
    path = tmp_path / "filters.xml"
    path.write_text(SMALL, encoding="utf-8")
    engine, report = load_netsh(path)
    (flt,) = engine.filters()
    assert (flt.name, flt.filter_id, flt.effective_weight) == (
        "Block Telnet",
        70511,
        0xA000000000000000,
    )
    assert engine.sublayer(flt.sublayer).name == "FWPM_SUBLAYER_MPSSVC_WF"
    assert report.kind == "show filters" and report.filters == 1 and report.skipped == []
    hit = engine.classify(
        "ALE_AUTH_CONNECT_V4",
        {"IP_REMOTE_PORT": 23, "IP_REMOTE_ADDRESS": "10.1.2.3", "ALE_APP_ID": r"C:\T.exe"},
    )
    assert (hit.action.name, hit.filter_id) == ("BLOCK", 70511)
    miss = engine.classify(
        "ALE_AUTH_CONNECT_V4",
        {"IP_REMOTE_PORT": 23, "IP_REMOTE_ADDRESS": "11.1.2.3", "ALE_APP_ID": r"C:\T.exe"},
    )
    assert miss.action.name == "NONE_NO_MATCH"


def test_not_netsh_xml(tmp_path: Path) -> None:
    """Garbage gets a clear error, not a traceback from the XML parser."""
    path = tmp_path / "x.xml"
    path.write_text("<html><body>hello</body></html>")
    with pytest.raises(InvalidParameterError, match="wfpstate"):
        load_netsh(path)
    path.write_text("<<<")
    with pytest.raises(InvalidParameterError, match="not netsh WFP XML"):
        load_netsh(path)
    with pytest.raises(InvalidParameterError, match="valid: 'unknown', 'permit', 'block'"):
        load_netsh(path, callouts="maybe")


@pytest.mark.skipif(not TEACHING_COPY.exists(), reason="the teaching copy of the dump is missing")
def test_teaching_dump_imports_with_real_order() -> None:
    """The fanyi dump (200 filters): everything imports (the SDK 26100 catalog knows its
    accept-redirect layers), and filters keep Windows' own order (effectiveWeight)."""
    engine, report = load_netsh(TEACHING_COPY)
    assert report.filters >= 195 and len(report.skipped) <= 4
    text = str(report)
    assert "skipped" not in text and not report.skipped
    assert "give a short name" not in text  # the typing hint is for hand-written names
    for flt in engine.filters():
        assert flt.filter_id > 60000  # the run-time ids from the machine
    weights = [f.effective_weight for f in engine.filters("ALE_AUTH_RECV_ACCEPT_V4")]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the repository")
@pytest.mark.parametrize("name", ["python_pi_burner_wfpstate.xml", "astralwfp_filters.xml"])
def test_large_dumps(name: str) -> None:
    """1,000+ filter dumps import; a filter is skipped only for a condition or layer the
    catalog lacks (none since the SDK 26100 catalog), and the report names each one."""
    engine, report = load_netsh(DUMPS / name)
    assert report.filters > 900
    reasons = {s.split(": ", 1)[1][:40] for s in report.skipped}
    assert all("CONDITION_NOT_FOUND" in r or "LAYER_NOT_FOUND" in r for r in reasons)
    c = engine.classify("ALE_AUTH_CONNECT_V4", {"IP_REMOTE_PORT": 443, "IP_PROTOCOL": 6})
    # as on the machine: outbound HTTPS is let out by Windows Firewall's default outbound rule
    assert (c.action.name, c.filter_name) == ("PERMIT", "Default Outbound")
    decided = [s for s in c.sublayers if s.result_filter == "Default Outbound"]
    assert [s.name for s in decided] == ["FWPM_SUBLAYER_MPSSVC_WF"]


# --- encodings, hostile and broken dumps -----------------------------------------------------

TINY = """<?xml version="1.0" encoding="UTF-8"?>
<wfpdiag><filters numItems="1"><item>
<filterKey>{11111111-2222-3333-4444-555555555555}</filterKey>
<displayData><name>block telnet</name><description/></displayData>
<flags/><layerKey>FWPM_LAYER_ALE_AUTH_CONNECT_V4</layerKey>
<subLayerKey>FWPM_SUBLAYER_UNIVERSAL</subLayerKey>
<weight><type>FWP_UINT64</type><uint64>WEIGHT</uint64></weight>
<filterCondition numItems="1"><item><fieldKey>FWPM_CONDITION_IP_REMOTE_PORT</fieldKey>
<matchType>FWP_MATCH_EQUAL</matchType>
<conditionValue><type>FWP_UINT16</type><uint16>23</uint16></conditionValue></item></filterCondition>
<action><type>FWP_ACTION_BLOCK</type></action><filterId>FILTERID</filterId>
<effectiveWeight><type>FWP_UINT64</type><uint64>7</uint64></effectiveWeight>
</item></filters></wfpdiag>
"""


def tiny(weight: str = "5", filter_id: str = "<filterId>70000</filterId>") -> str:
    return TINY.replace("WEIGHT", weight).replace("<filterId>FILTERID</filterId>", filter_id)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
        lambda t: t.encode("utf-16"),  # with a BOM, as PowerShell's > writes
        lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
        lambda t: t.encode("utf-16-le"),  # no BOM: the bytes show it
        lambda t: t.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "utf16-le", "utf16-be"],
)
def test_encodings(tmp_path: Path, encode: object) -> None:
    """UTF-8 with or without a BOM and UTF-16 LE/BE with or without one all import."""
    path = tmp_path / "d.xml"
    path.write_bytes(encode(tiny()))  # type: ignore[operator]
    engine, report = load_netsh(path)
    assert report.filters == 1
    assert engine.classify("ALE_AUTH_CONNECT_V4", {"IP_REMOTE_PORT": 23}).action.name == "BLOCK"


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        (b"<wfpdiag>\xff\xfe\xfd</wfpdiag>", ["not valid UTF-8", "byte offset 9"]),
        (b"\xff\xfe<\x00w\x00\x00\xd8", ["not valid UTF-16 LE", "byte offset 6"]),
        (b"\xff\xfe\x00\x00<\x00\x00\x00", ["UTF-32"]),
    ],
)
def test_bad_encodings_name_the_problem_and_offset(
    tmp_path: Path, data: bytes, needles: list[str]
) -> None:
    """Bytes that are not UTF-8/UTF-16: an error naming the encoding and the byte offset."""
    path = tmp_path / "d.xml"
    path.write_bytes(data)
    with pytest.raises(InvalidParameterError) as info:
        load_netsh(path)
    for needle in needles:
        assert needle in str(info.value)


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the repository")
def test_a_utf16_copy_of_a_real_dump_imports_exactly_as_the_original(tmp_path: Path) -> None:
    """PowerShell's `netsh wfp show state > x.xml` (UTF-16 LE with a BOM) imports the same."""
    original = DUMPS / "fanyi_wfpstate.xml"
    copy = tmp_path / "utf16.xml"
    copy.write_bytes(original.read_text(encoding="utf-8-sig").encode("utf-16"))
    a, ra = load_netsh(original)
    b, rb = load_netsh(copy)
    assert str(ra).replace(str(original), "X") == str(rb).replace(str(copy), "X")
    assert [f.__repr__() for f in a.filters()] == [f.__repr__() for f in b.filters()]
    assert [(f.filter_id, f.effective_weight, f.key) for f in a.filters()] == [
        (f.filter_id, f.effective_weight, f.key) for f in b.filters()
    ]


def test_doctype_is_refused_as_such(tmp_path: Path) -> None:
    """A <!DOCTYPE (entities: billion laughs, external files) is refused saying so."""
    path = tmp_path / "d.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<wfpdiag>&lol;</wfpdiag>'
    )
    with pytest.raises(InvalidParameterError, match="document type declaration"):
        load_netsh(path)


@pytest.mark.parametrize(
    ("weight", "filter_id", "reason"),
    [
        ("abc", "<filterId>70000</filterId>", "weight (FWP_UINT64) is 'abc': not an integer"),
        ("", "<filterId>70000</filterId>", "weight (FWP_UINT64) is empty"),
        ("18446744073709551616", "<filterId>70000</filterId>", "outside 0..18446744073709551615"),
        (
            "5",
            "<filterId>18446744073709551616</filterId>",
            "filterId 18446744073709551616 is outside",
        ),
        ("5", "<filterId>-3</filterId>", "filterId -3 is outside"),
        ("5", "", "no filterId"),
        ("5", "<filterId>x</filterId>", "filterId is 'x': not an integer"),
    ],
)
def test_bad_numbers_are_reported_never_renumbered(
    tmp_path: Path, weight: str, filter_id: str, reason: str
) -> None:
    """Non-numeric, empty or out-of-range weights and ids, and missing ids: the filter is
    skipped and the report says why (no traceback, no silent renumbering)."""
    path = tmp_path / "d.xml"
    path.write_text(tiny(weight, filter_id))
    engine, report = load_netsh(path)
    assert report.filters == 0 and not list(engine.filters())
    assert len(report.skipped) == 1 and reason in report.skipped[0], report.skipped
    assert "'block telnet'" in str(report)


def test_a_repeated_filter_id_is_reported(tmp_path: Path) -> None:
    """Two filters with one filterId: the second is skipped, not renumbered."""
    text = tiny()
    item = text[text.index("<item>") : text.index("</filters>")]
    twice = text.replace(item, item + item.replace("11111111-", "22222222-"))
    path = tmp_path / "d.xml"
    path.write_text(twice)
    engine, report = load_netsh(path)
    assert report.filters == 1 and [f.filter_id for f in engine.filters()] == [70000]
    assert "filterId 70000 is used by another filter" in report.skipped[0]


def test_bad_sublayer_weight_is_reported(tmp_path: Path) -> None:
    """A sublayer whose weight is not a number is skipped with the reason (no traceback)."""
    path = tmp_path / "d.xml"
    path.write_text(
        "<wfpstate><subLayers><item><subLayerKey>{11111111-2222-3333-4444-555555555555}"
        "</subLayerKey><displayData><name>S</name></displayData><weight>heavy</weight></item>"
        "</subLayers></wfpstate>"
    )
    _, report = load_netsh(path)
    assert report.skipped == ["sublayer 'S': weight is 'heavy': not an integer"]
