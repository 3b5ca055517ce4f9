from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowlens.enrich.pseudonymize import Pseudonymizer, pseudonymize_users
from shadowlens.errors import ConfigError

KEY = b"0123456789abcdef-test-key-0123456"


@given(st.text(min_size=0, max_size=80))
def test_roundtrip(name: str) -> None:
    p = Pseudonymizer(KEY)
    assert p.reveal(p.token(name)) == name


def test_deterministic_per_key_and_keyed() -> None:
    a, b = Pseudonymizer(KEY), Pseudonymizer(KEY[::-1])
    assert a.token("alice") == Pseudonymizer(KEY).token("alice")
    assert a.token("alice") != b.token("alice")
    assert a.token("alice") != a.token("alicf")
    with pytest.raises(ConfigError):
        b.reveal(a.token("alice"))


def test_tampered_token_rejected() -> None:
    p = Pseudonymizer(KEY)
    t = p.token("alice")
    bad = t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1]
    with pytest.raises(ConfigError):
        p.reveal(bad)
    with pytest.raises(ConfigError):
        p.reveal("alice")


def test_short_key_refused(tmp_path: Path) -> None:
    f = tmp_path / "k"
    f.write_bytes(b"short\n")
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        Pseudonymizer.from_key_file(f)


def test_frame_tokens_and_key_not_in_output() -> None:
    p = Pseudonymizer(KEY)
    df = pl.DataFrame({"user_name": ["bob", None, "carol", "bob"], "n": [1, 2, 3, 4]})
    out = pseudonymize_users(df, p)
    assert out.columns == df.columns
    assert out["n"].to_list() == [1, 2, 3, 4]
    tokens = out["user_name"].to_list()
    assert tokens[0] == tokens[3] != tokens[2]
    assert tokens[1] is None
    assert [p.reveal(t) for t in (tokens[0], tokens[2])] == ["bob", "carol"]
    dump = out.write_csv()
    assert KEY.decode() not in dump
    assert "bob" not in dump
