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
    ],
    "zscaler": [
        '"Mon Jun 20 15:29:11 2022","new-gre","HTTP","ebay.com/","Blocked","Ebay","Consumer Apps","72","14061","0","0","Productivity Loss","Shopping and Auctions","Online Shopping","None","None","0","None","None","new-gre","Default Department","172.17.3.49","66.211.175.229","GET","403","curl/7.68.0","None","FwFilter","Firewall_1","Other","None","NA","NA","N/A"',
        "2025-11-26 10:15:02\treason=Allowed\taction=Allowed\trequestsize=598\tresponsesize=65\tClientIP=192.168.0.38\tvendor=Zscaler\thostname=www.example.com",
    ],
    "umbrella": [
        '"2015-01-16 17:48:41","ActiveDirectoryUserName","ActiveDirectoryUserName,ADSite,Network","10.10.1.100","24.123.132.133","Blocked","1 (A)","NOERROR","domain-visited.com.","Chat,Photo Sharing,Social Networking","AD User","AD User,Site,Network","Chat,Social Networking"',
        '"2025-11-26 10:15:02","PAR-LT-0142","10.20.1.15","198.51.100.24","162.125.66.18","text/html","ALLOWED","https://www.dropbox.com/home","","curl/8.5.0","200","1843","52311"',
    ],
    "netskope": [
        "2025-11-26,10:15:02,412,1843,52311,54154,10.20.1.15,162.125.66.18,alice@contoso.example,GET,https,-,curl/8.5.0,-,200,text/html,www.dropbox.com,www.dropbox.com,/home,443,-,38664,Client,Dropbox,US,-,-,-,-,-,FR,-,-,-,-,-,Windows 11,-,-,Windows Device,Dropbox,1764152102,-,10.20.1.15,CloudApp,-,Cloud Storage,-,http_transaction,-,-,17778,17778,www.dropbox.com,-,-,-,-,-",
    ],
}

FORMATS = get_plugins().formats()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_keeps_the_contract(name: str) -> None:
    check_format_contract(FORMATS[name].cls, SAMPLES.get(name, []))


def test_every_builtin_format_has_a_sample() -> None:
    builtins = set(get_plugins(load_entrypoints=False).formats())
    assert builtins <= set(SAMPLES), f"add sample lines for {sorted(builtins - set(SAMPLES))}"
