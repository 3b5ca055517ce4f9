"""``catalog import-ranges`` per provider, and destination-IP matching of the overlay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from cli_harness import invoke_cli
from shadowlens.enrich.catalog import load_catalog, validate
from shadowlens.enrich.match import enrich
from shadowlens.enrich.ranges import import_ranges

FIXTURES = Path(__file__).parent / "fixtures" / "ranges"

#: provider -> (fixture, {app_id: [cidrs]})
EXPECTED: dict[str, tuple[str, dict[str, list[str]]]] = {
    "aws": (
        "aws-ip-ranges.json",
        {
            "amazon-cloudfront": ["13.32.0.0/15"],
            "amazon-s3": ["3.5.140.0/22", "2600:1fa0:4000::/40"],  # S3 beats AMAZON
            "aws": ["52.94.0.0/16", "52.94.76.0/22", "2600:1f18::/33"],
            "aws-ec2": ["18.184.0.0/15"],
        },
    ),
    "azure": (
        "azure-service-tags.json",
        {
            "azure": ["4.144.0.0/12", "2603:1000::/25"],  # regional tags skipped
            "azure-azurefrontdoor-frontend": ["13.107.246.0/24"],
            "azure-storage": ["20.33.0.0/16", "20.60.0.0/16", "2603:1040:1302::/48"],
        },
    ),
    "gcp": ("gcp-cloud.json", {"gcp": ["34.1.208.0/20", "35.190.0.0/17", "2600:1900:8000::/44"]}),
    "m365": (
        "m365-endpoints.json",
        {
            "microsoft-office": ["20.20.32.0/19", "40.126.0.0/18"],
            "microsoft-teams": ["52.112.0.0/14", "2603:1063::/38"],
            "outlook-web": ["13.107.6.152/31", "40.96.0.0/13", "2603:1006::/40"],
            "sharepoint": ["13.107.136.0/22", "40.108.128.0/17", "2620:1ec:8f8::/46"],
        },
    ),
    "cloudflare": (
        "cloudflare-ips.json",
        {
            "cloudflare": [
                "103.21.244.0/22",
                "104.16.0.0/13",
                "173.245.48.0/20",
                "2400:cb00::/32",
                "2606:4700::/32",
            ]
        },
    ),
    "oracle": (
        "oracle-public-ip-ranges.json",
        {
            "oracle": ["129.146.0.0/21", "130.61.0.0/16", "138.1.0.0/20"],
            "oracle-object-storage": ["134.70.8.0/21"],
        },
    ),
    "github": (
        "github-meta.json",
        {
            "github": [
                "140.82.121.33/32",
                "140.82.121.34/32",
                "140.82.112.0/20",
                "143.55.64.0/20",
                "192.30.252.0/22",
                "2a0a:a440::/29",
            ],
            "github-copilot": ["140.82.112.21/32"],
            "github-pages": ["185.199.108.153/32", "192.30.252.153/32", "2606:50c0:8000::153/128"],
        },
    ),  # hooks, actions, importer and dependabot: GitHub's outbound addresses, not imported
    "csv": (
        "ranges.csv",
        {"acme-vpn": ["198.51.100.0/24", "2001:db8:10::/48"], "partner-portal": ["203.0.113.7/32"]},
    ),
}


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_import_per_provider(provider: str) -> None:
    fixture, expected = EXPECTED[provider]
    entries = import_ranges(FIXTURES / fixture, provider)
    got = {e.app_id: sorted(p for k, p, _ in e.rules if k == "cidr") for e in entries}
    assert got == {k: sorted(v) for k, v in expected.items()}


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_cli_writes_an_overlay_that_loads_and_validates(tmp_path: Path, provider: str) -> None:
    fixture, expected = EXPECTED[provider]
    out = tmp_path / "ranges.toml"
    r = invoke_cli(
        "catalog",
        *["import-ranges", str(FIXTURES / fixture), "--provider", provider, "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    n = sum(len(v) for v in expected.values())
    assert f"wrote {n} ranges of {len(expected)} apps" in r.output
    text = out.read_text()
    assert text.startswith(
        f"# shadowlens catalog overlay (import-ranges --provider {provider} {fixture})"
    )
    cat = load_catalog([out])
    assert [p for p in validate(cat) if p.severity == "error"] == []
    for app_id in expected:
        assert app_id in cat.apps


def test_known_apps_keep_their_catalog_name(tmp_path: Path) -> None:
    out = tmp_path / "m365.toml"
    r = invoke_cli(
        "catalog",
        *["import-ranges", str(FIXTURES / "m365-endpoints.json"), "-p", "m365", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    assert 'id = "sharepoint"\ncidrs' in out.read_text()  # no name/category: the catalog's stay


def test_ip_match_longest_prefix_v4_and_v6(tmp_path: Path) -> None:
    out = tmp_path / "gh.toml"
    invoke_cli(
        "catalog",
        *["import-ranges", str(FIXTURES / "github-meta.json"), "-p", "github", "-o", str(out)],
    )
    cat = load_catalog([out])
    df = pl.DataFrame(
        {
            "dst_host": [None, None, None, None, "www.dropbox.com", None, None],
            "dst_ip": ["192.30.252.153", "192.30.252.10", "2606:50c0:8000::153", "2a0a:a440::1",
                       "192.30.252.10", "4.148.0.1", "not-an-ip"],
        },
        schema={"dst_host": pl.String, "dst_ip": pl.String},
    )  # fmt: skip
    got = enrich(df, cat).select("app_id", "match_type").rows()
    assert got == [
        ("github-pages", "ip"),  # /32 beats the /22 of web
        ("github", "ip"),
        ("github-pages", "ip"),  # IPv6 /128
        ("github", "ip"),  # IPv6 /29
        ("dropbox", "domain"),  # a host match wins over the IP
        (None, None),  # actions runners' addresses are not imported
        (None, None),
    ]


def test_lookup_answers_ips_of_the_overlay(tmp_path: Path) -> None:
    out = tmp_path / "aws.toml"
    invoke_cli(
        "catalog",
        *["import-ranges", str(FIXTURES / "aws-ip-ranges.json"), "-p", "aws", "-o", str(out)],
    )
    r = invoke_cli(
        "catalog", *["lookup", "--json", "3.5.141.9", "2600:1fa0:4000::10", "--catalog", str(out)]
    )
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [(x["app_id"], x["rule_kind"], x["rule"]) for x in rows] == [
        ("amazon-s3", "cidr", "3.5.140.0/22"),
        ("amazon-s3", "cidr", "2600:1fa0:4000::/40"),
    ]


@pytest.mark.parametrize(
    ("content", "provider", "match"),
    [
        ("{not json", "aws", "not JSON"),
        ('{"prefixes": [{"ip_prefix": "1.2.3.0/24"}]}', "aws", "documented shape"),
        ('{"result": {"ipv4_cidrs": ["1.2.3.0/99"], "ipv6_cidrs": []}}', "cloudflare", r"result\.ipv4_cidrs\[0\]: '1\.2\.3\.0/99' is not a CIDR"),
        ('{"foo": 1}', "github", "documented shape"),
        ("cidr,app_id\n10.0.0.0/8,\n", "csv", "neither app_id nor app_name"),
        ("net,app\n", "csv", "needs a cidr column"),
    ],
)  # fmt: skip
def test_bad_input_exits_3_and_writes_nothing(
    tmp_path: Path, content: str, provider: str, match: str
) -> None:
    src = tmp_path / "in.json"
    src.write_text(content)
    out = tmp_path / "out.toml"
    r = invoke_cli("catalog", *["import-ranges", str(src), "-p", provider, "-o", str(out)])
    assert r.exit_code == 3, r.output
    assert str(src) in r.output
    assert re.search(match, r.output), r.output
    assert list(tmp_path.iterdir()) == [src]


def test_unknown_provider_exits_2(tmp_path: Path) -> None:
    r = invoke_cli(
        "catalog",
        *[
            "import-ranges",
            str(FIXTURES / "gcp-cloud.json"),
            "-p",
            "ibm",
            "-o",
            str(tmp_path / "o.toml"),
        ],
    )
    assert r.exit_code == 2
    assert "--provider must be one of" in r.output
    assert not (tmp_path / "o.toml").exists()


def test_missing_file_exits_3(tmp_path: Path) -> None:
    r = invoke_cli(
        "catalog",
        *[
            "import-ranges",
            str(tmp_path / "none.json"),
            "-p",
            "aws",
            "-o",
            str(tmp_path / "o.toml"),
        ],
    )
    assert r.exit_code == 3
    assert "none.json" in r.output


def test_unwritable_output_exits_5_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "missing-dir" / "o.toml"
    r = invoke_cli(
        "catalog", *["import-ranges", str(FIXTURES / "gcp-cloud.json"), "-p", "gcp", "-o", str(out)]
    )
    assert r.exit_code == 5, r.output
    assert "cannot write overlay" in r.output
    assert list(tmp_path.iterdir()) == []
