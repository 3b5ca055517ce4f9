"""Every registered format, built-in or installed plugin, keeps the format contract.

The checks are those of :func:`shadowlens.testing.check_format_contract`; the
samples below are small, known-good lines for the formats we ship or install.
"""

from __future__ import annotations

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
}

FORMATS = get_plugins().formats()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_keeps_the_contract(name: str) -> None:
    check_format_contract(FORMATS[name].cls, SAMPLES.get(name, []))


def test_every_builtin_format_has_a_sample() -> None:
    builtins = set(get_plugins(load_entrypoints=False).formats())
    assert builtins <= set(SAMPLES), f"add sample lines for {sorted(builtins - set(SAMPLES))}"
