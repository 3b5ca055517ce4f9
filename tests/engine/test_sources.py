"""Finding inputs and opening them as decompressed streams (files, dirs, globs, archives)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from shadowlens import InputError
from shadowlens.engine.lines import iter_raw_chunks
from shadowlens.engine.sources import Source, discover, sniff

PAYLOAD = b"".join(b"line %d with some text\n" % i for i in range(3000))

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda data: data,
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def read_all(source: Source) -> bytes:
    with source.open() as opened:
        return b"".join(raw.data for raw in iter_raw_chunks(opened.stream, 4096))


def names(sources: list[Source], root: Path) -> list[str]:
    return [s.name.replace(str(root) + "/", "") for s in sources]


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_each_compression_reads_back(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"app.log.{kind}"
    path.write_bytes(COMPRESSORS[kind](PAYLOAD))
    [source] = discover([str(path)])
    assert (source.name, source.member, source.size) == (str(path), None, path.stat().st_size)
    assert read_all(source) == PAYLOAD


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
def test_compression_is_found_by_content_not_name(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "misleading.txt"
    path.write_bytes(COMPRESSORS[kind](PAYLOAD))
    assert read_all(discover([str(path)])[0]) == PAYLOAD


def test_sniff() -> None:
    assert sniff(gzip.compress(b"x")[:8]) == "gzip"
    assert sniff(b"BZh91AY") == "bzip2"
    assert sniff(b"PK\x03\x04") == "zip"
    assert sniff(b"CEF:0|") is None


def test_multistream_gzip_and_multiframe_zstd(tmp_path: Path) -> None:
    (tmp_path / "a.gz").write_bytes(gzip.compress(b"one\n") + gzip.compress(b"two\n"))
    zstd = zstandard.ZstdCompressor()
    (tmp_path / "a.zst").write_bytes(zstd.compress(b"one\n") + zstd.compress(b"two\n"))
    for name in ("a.gz", "a.zst"):
        assert read_all(discover([str(tmp_path / name)])[0]) == b"one\ntwo\n"


def test_directory_is_walked_recursively_in_order_skipping_hidden(tmp_path: Path) -> None:
    for rel in ("b.log", "a/z.log", "a/b/deep.log.gz", ".hidden.log", ".git/config", "a/.x"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x\n")
    assert names(discover([str(tmp_path)]), tmp_path) == ["b.log", "a/z.log", "a/b/deep.log.gz"]


def test_globs_and_duplicates(tmp_path: Path) -> None:
    for rel in ("x/1.log", "x/2.log", "x/3.txt", "y/4.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x\n")
    found = discover([str(tmp_path / "x" / "*.log"), str(tmp_path / "**" / "*.log")])
    assert names(found, tmp_path) == ["x/1.log", "x/2.log", "y/4.log"]


def test_zip_members_are_sources_of_their_own(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("logs/", b"")
        zf.writestr("logs/b.log", b"bee\n")
        zf.writestr("a.log", PAYLOAD)
    sources = discover([str(archive)])
    assert [s.name for s in sources] == [f"{archive}!/a.log", f"{archive}!/logs/b.log"]
    assert [s.member for s in sources] == ["a.log", "logs/b.log"]
    assert read_all(sources[0]) == PAYLOAD
    assert read_all(sources[1]) == b"bee\n"


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
def test_compressed_member_inside_a_zip(tmp_path: Path, kind: str) -> None:
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"inner.log.{kind}", COMPRESSORS[kind](PAYLOAD))
    [source] = discover([str(archive)])
    assert source.name == f"{archive}!/inner.log.{kind}"
    assert read_all(source) == PAYLOAD


def test_position_tracks_the_file_not_the_member(tmp_path: Path) -> None:
    path = tmp_path / "p.log.gz"
    path.write_bytes(gzip.compress(PAYLOAD))
    with discover([str(path)])[0].open() as opened:
        opened.stream.read(1000)
        assert 0 < opened.position() <= path.stat().st_size


def test_missing_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.log: no such file"):
        discover([str(tmp_path / "nope.log")])
    with pytest.raises(InputError, match="matching glob"):
        discover([str(tmp_path / "*.nothing")])


def test_file_removed_after_discovery(tmp_path: Path) -> None:
    path = tmp_path / "gone.log"
    path.write_bytes(b"x\n")
    [source] = discover([str(path)])
    path.unlink()
    with pytest.raises(InputError, match=r"gone\.log: cannot open"):
        source.open()


def test_unreadable_zip_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"not really a zip" * 10)
    with pytest.raises(InputError, match=r"bad\.zip: not a readable zip archive"):
        discover([str(bad)])


def _flip(data: bytes, at: int) -> bytes:
    broken = bytearray(data)
    broken[at : at + 40] = b"\x00" * 40
    return bytes(broken)


def _zip_with_bad_crc() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("m.log", PAYLOAD)
    return buffer.getvalue().replace(b"line 1500", b"LINE 1500")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("bad-header.gz", b"\x1f\x8b" + b"garbage" * 10, id="gzip-header"),
        pytest.param("cut.gz", gzip.compress(PAYLOAD)[:500], id="gzip-truncated"),
        pytest.param("bad.bz2", _flip(bz2.compress(PAYLOAD), 100), id="bzip2-body"),
        pytest.param(
            "bad.gz",
            _flip(gzip.compress(PAYLOAD), 100),
            id="gzip-body",
        ),
        pytest.param(
            "bad.xz",
            _flip(lzma.compress(PAYLOAD), 60),
            id="xz-body",
        ),
        pytest.param(
            "bad.zst",
            _flip(zstandard.ZstdCompressor().compress(PAYLOAD), 30),
            id="zstd-body",
        ),
        pytest.param(
            "crc.zip",
            _zip_with_bad_crc(),
            id="zip-member-crc",
        ),
    ],
)
def test_corrupt_stream_is_an_input_error(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    [source] = discover([str(path)])
    with pytest.raises(InputError, match=r"line \d+"):
        read_all(source)
