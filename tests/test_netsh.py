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
    with pytest.raises(InvalidParameterError, match="valid: 'stand-in'"):
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
    assert c.action.name in ("PERMIT", "BLOCK", "NONE", "NONE_NO_MATCH")
