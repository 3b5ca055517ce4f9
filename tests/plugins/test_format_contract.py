"""Every registered format, built-in or installed plugin, keeps the format contract.

The checks are those of :func:`shadowlens.testing.check_format_contract`; the
samples are small, known-good lines: those below, and for every vendor format the
first good lines of each of its fixtures (``tests/formats/fixtures/<format>/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import check_format_contract

SAMPLES: dict[str, list[str]] = {
    "cef": [
        "CEF:0|Zscaler|NSSWeblog|5.0|Allowed|Allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com act=Allowed",
        "<14>Jan 12 10:00:00 host CEF:0|Vendor|Product|1|100|name \\| pipe|5|src=10.0.0.2 msg=a b c",
    ],
    "leef": [
        "LEEF:1.0|IBM|QRadar|1.0|42|src=10.0.0.1\tdst=1.2.3.4\tdevTime=1700000000000",
        "LEEF:2.0|Vendor|Product|1.0|E1|^|src=10.0.0.1^dst=1.2.3.4^devTime=1700000000000",
    ],
    "w3c": [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status cs(User-Agent)",
        "2024-01-01 10:00:00 10.0.0.1 GET /x 200 Mozilla/5.0+(X11)",
        '2024-01-01 10:00:01 10.0.0.2 "GET" /y 404 -',
    ],
    "squid": [
        "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html",
        '10.1.2.3 - alice [26/Nov/2025:11:15:02 +0100] "GET http://a.example/ HTTP/1.1" 200 512 TCP_MISS:HIER_DIRECT',
    ],
    "cisco-wsa": [
        '1764152102.000 60 10.31.225.70 TCP_MISS_SSL/200 1481 GET https://www.google.com:443/ - DIRECT/www.google.com application/octet-stream DEFAULT_CASE_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE <"IW_srch",6.9,1,"-",0,0,0,1,"-",-,-,-,"-",0,0,"-","-",-,-,"IW_srch",-,"Unknown"> -',
    ],
    "stormshield": [
        'id=firewall time="2025-11-26 11:15:02" fw="fw01" tz=+0100 src=10.1.2.3 dst=203.0.113.7 dstport=443 sent=5120 rcvd=300 action=pass logtype="connection"',
    ],
    "paloalto": [
        "<14>Nov 26 10:15:02 PA-3220 1,2025/11/26 10:15:02,013201001234,TRAFFIC,end,2560,2025/11/26 10:15:01,10.1.2.3,162.125.66.18,198.51.100.10,162.125.66.18,allow-web,corp\\alice,,dropbox-base,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2025/11/26 10:15:01,81234,1,52311,443,40112,443,0x400053,tcp,allow,52433920,52428800,5120,36210,2025/11/26 10:13:21,100,online-storage-and-backup,0,7203845,0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,35100,1110,tcp-fin,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0",
        '<14>Nov 26 10:15:02 PA-3220 1,2025/11/26 10:16:40,013201001234,THREAT,url,2560,2025/11/26 10:16:39,10.1.2.4,104.16.99.52,198.51.100.10,104.16.99.52,block-gambling,corp\\bob,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2025/11/26 10:16:39,81301,1,50122,80,40555,80,0x40b000,tcp,block-url,"Casino.Example.com/play?tables=1,2",(9999),gambling,informational,client-to-server,7203901,0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,text/html,0,,,1,Mozilla/5.0 (Windows NT 10.0; Win64; x64),,,http://news.example.org/,,,,,0,0,0,0,vsys1,PA-3220,,,,get,0,,0,,N/A,unknown,AppThreat-8850-8400,0x0,0,4294967295,',
    ],
    "pfsense": [
        "<134>Nov 26 10:15:02 pfSense filterlog[48953]: 5,,,1000000103,igb1,match,block,in,4,0x0,,113,54321,0,DF,6,tcp,52,198.51.100.77,192.0.2.10,49152,3389,0,S,3117845567,,64240,,mss;nop;wscale;nop;nop;sackOK",
        '<134>1 2025-11-26T11:15:08+01:00 OPNsense.localdomain filterlog 61360 - [meta sequenceId="9"] 96,,,02f4bab031b57d1e30553ce08e0ec131,vtnet0,match,pass,out,6,0x00,0x00000,255,ICMPv6,58,32,fe80::1,ff02::1:ff00:2,',
    ],
    "mdca-csv": [
        "Timestamp,SourceIP,DestinationIP,DestinationURL,Username,UploadedBytes,DownloadedBytes,TotalBytes,Action",
        "26/11/2025 10:15:01 AM,10.1.2.3,162.125.66.18,drive.example.com,alice,52428800,5120,52433920,Allowed",
    ],
}

FORMATS = get_plugins().formats()
VENDOR_FIXTURES = Path(__file__).resolve().parents[1] / "formats" / "fixtures"


def sample(name: str) -> list[str]:
    """The lines above plus up to 5 lines of each fixture that are not garbled on purpose."""
    lines = list(SAMPLES.get(name, []))
    for path in sorted((VENDOR_FIXTURES / name).glob("*.log")):
        if "garbled" not in path.stem:
            text = path.read_text(encoding="utf-8").splitlines()
            lines += [line for line in text if line.strip()][:5]
    return lines


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_keeps_the_contract(name: str) -> None:
    check_format_contract(FORMATS[name].cls, sample(name))


def test_every_builtin_format_has_a_sample() -> None:
    builtins = set(get_plugins(load_entrypoints=False).formats())
    missing = sorted(name for name in builtins if not sample(name))
    assert not missing, f"add sample lines or fixtures for {missing}"
