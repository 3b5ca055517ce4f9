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
