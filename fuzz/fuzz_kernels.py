"""Fuzz the native kernels (``shadowlens._native``) with atheris (libFuzzer, coverage-guided).

Each input becomes a few CEF-like lines. Per line, the native pair split must give
the tokens of the reference split (``extract_all`` of ``KV_PAIR``) or flag exactly
the lines the reference drops, and the native pick of those tokens must equal the
polars generic route. The raw kernels also get arbitrary offset buffers: they may
refuse them with ``ValueError``, never crash or read out of bounds.

Run: ``.venv/bin/python fuzz/fuzz_kernels.py -max_total_time=60 [corpus_dir]``
(``tests/native/test_fuzz.py`` runs a bounded pass in the test suite).
"""

from __future__ import annotations

import contextlib
import os
import sys

import atheris
import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens import _native

# Coverage feedback from shadowlens' Python (the kernels' callers); polars itself is
# left uninstrumented (instrumenting it breaks some of its functions).
with atheris.instrument_imports(include=["shadowlens"]):
    from shadowlens.parsers import kvsplit
    from shadowlens.parsers.kvpick import pick_pairs

HEAD = "CEF:0|V|P|1|c|n|5|"
WANTED = ["src", "dst", "act", "msg"]
ESCAPES = {"\\\\": "\\", "\\=": "=", "\\n": "\n", "\\r": "\r"}
#: Seeds: the shapes real producers write (atheris mutates from there).
SEEDS = [
    b"src=10.0.0.1 dst=1.2.3.4 act=blocked msg=hello world",
    b"msg=a\\=b c\\\\ src=::1  act= x=1 y",
    b"rt=Jan 01 2026 10:00:00 suser=\xc3\xa9l\xc3\xa8ve dst=10.0.0.2\nk=v k=w",
    b'a=1 =2 b\tc=3 [x].y,-_=4 msg="quoted value" ',
]


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    return list(text.split("\n")[:8])


def check_split_and_pick(data: bytes) -> None:
    """Native split and pick equal the reference on the input's lines."""
    texts = [HEAD + line for line in _lines(data)]
    frame = pl.DataFrame(
        {
            "_row": np.arange(len(texts), dtype=np.uint32),
            "field_1": texts,
            "_head": [HEAD] * len(texts),
        }
    ).with_columns(pl.col("_head").str.len_bytes().alias("_head_len"))
    want = kvsplit.reference_split(frame, kvsplit.KV_PAIR_REGEX).sort("_row")
    got = kvsplit._native_split(
        frame, kvsplit.KV_PAIR_REGEX, text="field_1", head="_head", head_len="_head_len"
    ).sort("_row")
    if got.select("_row", "pairs").to_dicts() != want.select("_row", "pairs").to_dicts():
        msg = f"split differs on {texts!r}"
        raise AssertionError(msg)
    if got.height == 0:
        return
    native = pick_pairs(got, "pairs", WANTED, unescape=ESCAPES)
    generic = pick_pairs(got, "pairs", WANTED, unescape=ESCAPES, max_templates=0)
    if native.to_dicts() != generic.to_dicts():
        msg = f"pick differs on {texts!r}"
        raise AssertionError(msg)


def check_raw_buffers(fdp: atheris.FuzzedDataProvider) -> None:
    """Arbitrary offsets and bytes: a result or ValueError, never a crash."""
    rows = fdp.ConsumeIntInRange(0, 6)
    ints = [fdp.ConsumeIntInRange(-4, 80) for _ in range(rows + 1)]
    offsets = np.array(ints, dtype="<i8").tobytes()
    starts = np.array([fdp.ConsumeIntInRange(-2, 40) for _ in range(rows)], "<i8").tobytes()
    raw = fdp.ConsumeBytes(64)
    # String views: random 16-byte views over random data (lengths, buffer numbers
    # and offsets may point anywhere), with and without a validity mask.
    views = fdp.ConsumeBytes(16 * fdp.ConsumeIntInRange(0, 4))
    views = views[: len(views) // 16 * 16]
    valid = fdp.ConsumeBytes(len(views) // 16) if fdp.ConsumeBool() else None
    tokens = (views, [raw], valid if valid is None or len(valid) == len(views) // 16 else None)
    view_starts = np.array([fdp.ConsumeIntInRange(-2, 40) for _ in views[::16]], "<i8").tobytes()
    for pattern, cef, at in (
        (kvsplit.KV_PAIR_REGEX, True, view_starts),
        ("[a-z]+=[^ ]*(?: |$)", False, view_starts),
        ("[a-z]+=", False, starts),  # starts of another length: ValueError
    ):
        with contextlib.suppress(ValueError):
            _, _, cut = _native.split_pair_views(pattern, tokens, at, cef=cef)
            # Token views must point inside the texts' buffers: pyarrow checks them.
            parts = [None, pa.py_buffer(cut), pa.py_buffer(raw)]
            pa.Array.from_buffers(pa.string_view(), len(cut) // 16, parts).validate(full=True)
    for call in (
        lambda: _native.split_pairs(kvsplit.KV_PAIR_REGEX, offsets, raw, starts, None, cef=True),
        lambda: _native.split_pairs("[a-z]+=[^ ]*(?: |$)", offsets, raw, starts, None),
        lambda: _native.pick_pairs(offsets, tokens, WANTED, "=", " ", '"', []),
        lambda: _native.pick_pairs(offsets, (views, [], None), [], "=", "", None, [("\\=", "=")]),
        lambda: _native.concat_pairs([("constant", b"k", tokens, None)], rows),
        lambda: _native.concat_pairs([("lists", offsets, tokens, tokens)], rows),
    ):
        with contextlib.suppress(ValueError):
            call()


def test_one_input(data: bytes) -> None:
    check_split_and_pick(data)
    check_raw_buffers(atheris.FuzzedDataProvider(data))


def main(argv: list[str]) -> None:
    os.environ["SHADOWLENS_NATIVE"] = "1"
    corpus = [a for a in argv[1:] if not a.startswith("-")]
    for folder in corpus:  # a fresh corpus folder starts from the seeds
        os.makedirs(folder, exist_ok=True)
        if not os.listdir(folder):
            for i, seed in enumerate(SEEDS):
                with open(os.path.join(folder, f"seed-{i}"), "wb") as f:
                    f.write(seed)
    for seed in SEEDS:  # the seeds themselves must pass before fuzzing starts
        test_one_input(seed)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
