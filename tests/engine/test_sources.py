"""Finding inputs and opening them as decompressed streams (files, dirs, globs, archives)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import threading
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from backports import zstd

from shadowlens import InputError
from shadowlens.engine.lines import iter_raw_chunks, to_line_chunk
from shadowlens.engine.sources import Source, discover, discover_all, skipped, sniff

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


def test_unreadable_zip_is_an_input_error_when_opened(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"not really a zip" * 10)
    [source] = discover([str(bad)])  # found, so the run can report it and go on
    with pytest.raises(InputError, match=r"bad\.zip: not a readable zip archive"):
        source.open()


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


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
def test_a_truncated_stream_fails_with_the_lines_read_before(tmp_path: Path, kind: str) -> None:
    rng = random.Random(7)
    text = b"".join(b"%d %x\n" % (i, rng.getrandbits(128)) for i in range(20_000))
    fast = {"bz2": lambda d: bz2.compress(d, 1), "xz": lambda d: lzma.compress(d, preset=0)}
    data = fast.get(kind, COMPRESSORS[kind])(text)
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(data[: len(data) * 2 // 3])
    [source] = discover([str(path)])
    counted: list[int] = []

    def read() -> None:
        with source.open() as opened:
            for raw in iter_raw_chunks(opened.stream, 1 << 16, name=source.name):
                counted.append(to_line_chunk(raw).total)  # the cut last line is yielded too

    with pytest.raises(InputError, match=r"after line (\d+)") as err:
        read()
    lines = sum(counted)
    assert f"(after line {lines})" in str(err.value)
    assert 0 < lines < 20_000
    assert str(path) in str(err.value)


def test_gzip_with_trailing_garbage_is_read_like_gzip_d(tmp_path: Path) -> None:
    path = tmp_path / "tail.gz"
    path.write_bytes(gzip.compress(PAYLOAD) + gzip.compress(b"more\n") + b"garbage!" * 100)
    [source] = discover([str(path)])
    with source.open() as opened:
        assert opened.stream.read() == PAYLOAD + b"more\n"
        assert opened.warnings == [
            "trailing data after gzip member 2 ignored (800+ bytes), as gzip -d does"
        ]


def test_multiframe_zstd_with_the_standard_library_reader(tmp_path: Path) -> None:
    path = tmp_path / "frames.zst"
    path.write_bytes(zstd.compress(b"a\n") + zstd.compress(b"b\n"))
    [source] = discover([str(path)])
    assert read_all(source) == b"a\nb\n"


def _write_later(path: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            with open(path, "wb") as fifo:
                fifo.write(data)
        except BrokenPipeError:  # the reader refused the stream and closed it
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["plain", "gz", "zst"])
def test_a_named_fifo_is_read_as_a_stream_without_losing_its_head(
    tmp_path: Path, kind: str
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    [source] = discover([str(fifo)])
    assert source.stream
    writer = _write_later(fifo, COMPRESSORS[kind](PAYLOAD))
    assert read_all(source) == PAYLOAD
    writer.join(5)


@pytest.mark.timeout(30)
def test_a_zip_through_a_pipe_is_refused_by_name(tmp_path: Path) -> None:
    fifo = tmp_path / "zpipe"
    os.mkfifo(fifo)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.log", PAYLOAD)
    writer = _write_later(fifo, buffer.getvalue())
    [source] = discover([str(fifo)])
    with pytest.raises(InputError, match=r"zpipe: a zip archive cannot be read from a pipe"):
        source.open()
    writer.join(5)


def test_zip_members_with_the_same_name_are_named_by_index(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("x.log", b"first\n")
            zf.writestr("y.log", b"other\n")
            zf.writestr("x.log", b"second\n")
    sources = discover([str(archive)])
    assert names(sources, tmp_path) == ["dup.zip!/x.log#1", "dup.zip!/x.log#3", "dup.zip!/y.log"]
    assert [read_all(s) for s in sources] == [b"first\n", b"second\n", b"other\n"]


def test_only_regular_files_are_read_from_folders(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(b"x\n")
    os.mkfifo(tmp_path / "fifo.log")
    (tmp_path / "zero.log").symlink_to("/dev/zero")
    found = discover_all([str(tmp_path)])
    assert [(Path(s.name).name, skipped(s)) for s in found] == [
        ("a.log", None),
        ("fifo.log", "not a regular file (FIFO)"),
        ("zero.log", "not a regular file (character device)"),
    ]
    assert names(discover([str(tmp_path)]), tmp_path) == ["a.log"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_named_device_is_skipped_not_read(device: str) -> None:
    [source] = discover_all([device])
    assert skipped(source) == "not a regular file (character device)"


@pytest.mark.timeout(60)
def test_symlink_loops_and_folder_links(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "sub" / "a.log").write_bytes(b"x\n")
    (logs / "sub" / "up").symlink_to(logs)  # two loops back to the top
    (logs / "sub" / "again").symlink_to(logs / "sub")
    (tmp_path / "linked").symlink_to(logs / "sub")
    (logs / "dangling.log").symlink_to(tmp_path / "missing.log")
    (logs / "loop1").symlink_to(logs / "loop2")
    (logs / "loop2").symlink_to(logs / "loop1")
    walked = discover_all([str(logs)])
    assert sorted((Path(s.name).name, s.problem) for s in walked) == [
        ("a.log", None),
        ("dangling.log", f"dangling symlink (to {tmp_path / 'missing.log'})"),
        ("loop1", "symlink loop"),
        ("loop2", "symlink loop"),
    ]
    globbed = discover_all([str(tmp_path / "**" / "*.log")])
    assert sorted(Path(s.name).name for s in globbed) == ["a.log", "dangling.log"]
    via_link = discover([str(tmp_path / "linked")])  # a folder symlink is followed, once
    assert [Path(s.name).name for s in via_link].count("a.log") == 1


def test_globs_skip_hidden_names_unless_the_pattern_names_them(tmp_path: Path) -> None:
    for rel in (".h/a.log", "v/b.log", ".c.log", "d.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x\n")
    assert names(discover([str(tmp_path / "**" / "*.log")]), tmp_path) == ["d.log", "v/b.log"]
    assert names(discover([str(tmp_path / ".*.log")]), tmp_path) == [".c.log"]
    assert names(discover([str(tmp_path / ".h" / "*.log")]), tmp_path) == [".h/a.log"]
