"""Resume bookkeeping for uploads: ``upload-state.json`` beside the manifest.

For every manifest entry the state records which of the three API steps finished:
the initiated blob URL, the blocks already stored, whether the blob is committed and
whether Defender was told (finalized). A rerun skips finished work. The state never
holds the API token; it does hold the pre-signed blob URL, which is needed to
continue a blob and expires on Defender's side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shadowlens.errors import ConfigError
from shadowlens.outputs.manifest import ManifestFile, write_text_atomic

__all__ = ["STATE_NAME", "STATE_VERSION", "FileState", "UploadState"]

STATE_NAME = "upload-state.json"
"""File name of the state file, written in the manifest's folder."""

STATE_VERSION = 1


@dataclass(slots=True)
class FileState:
    """Progress of one file through initiate, upload and finalize.

    Parameters
    ----------
    sha256
        Digest of the file this progress belongs to; a changed file starts over.
    url
        Pre-signed upload URL returned by the initiate call.
    provider
        Storage provider named by the initiate call (``azure`` or ``aws``).
    block_size
        Block size used for a block upload (needed to resume it).
    blocks_done
        Indexes of the blocks already stored.
    committed
        The blob is complete (single PUT done or block list committed).
    finalized
        The ``done_upload`` call succeeded.
    """

    sha256: str
    url: str | None = None
    provider: str | None = None
    block_size: int | None = None
    blocks_done: set[int] = field(default_factory=set)
    committed: bool = False
    finalized: bool = False

    @property
    def step(self) -> str:
        """A short word for the last finished step, for plans and progress."""
        if self.finalized:
            return "finalized"
        if self.committed:
            return "uploaded"
        if self.blocks_done:
            return f"{len(self.blocks_done)} blocks sent"
        if self.url:
            return "initiated"
        return "pending"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object for this entry."""
        return {
            "sha256": self.sha256,
            "url": self.url,
            "provider": self.provider,
            "block_size": self.block_size,
            "blocks_done": sorted(self.blocks_done),
            "committed": self.committed,
            "finalized": self.finalized,
        }

    @classmethod
    def from_json(cls, raw: object) -> FileState:
        """Build from decoded JSON; raises ``ValueError``/``TypeError`` when malformed."""
        if not isinstance(raw, dict) or not isinstance(raw.get("sha256"), str):
            msg = "entry needs a 'sha256'"
            raise ValueError(msg)
        blocks = raw.get("blocks_done") or []
        if not isinstance(blocks, list) or not all(
            isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in blocks
        ):
            msg = "'blocks_done' must be a list of block indexes"
            raise ValueError(msg)
        url, provider, size = raw.get("url"), raw.get("provider"), raw.get("block_size")
        if not (url is None or isinstance(url, str)) or not (
            provider is None or isinstance(provider, str)
        ):
            msg = "'url' and 'provider' must be strings"
            raise TypeError(msg)
        if size is not None and (not isinstance(size, int) or size <= 0):
            msg = "'block_size' must be a positive integer"
            raise ValueError(msg)
        return cls(
            sha256=raw["sha256"],
            url=url,
            provider=provider,
            block_size=size,
            blocks_done=set(blocks),
            committed=raw.get("committed") is True,
            finalized=raw.get("finalized") is True,
        )


@dataclass(slots=True)
class UploadState:
    """Everything an interrupted upload needs to continue.

    Parameters
    ----------
    portal
        The portal URL the files go to.
    report_name
        The ``inputStreamName`` (snapshot report or data source name).
    snapshot
        Whether files are sent with ``uploadAsSnapshot``.
    files
        Progress per manifest path.
    path
        Where :meth:`save` writes; ``None`` keeps the state in memory (dry runs).
    """

    portal: str
    report_name: str
    snapshot: bool
    files: dict[str, FileState] = field(default_factory=dict)
    path: Path | None = None

    def for_file(self, entry: ManifestFile) -> FileState:
        """Return the progress for ``entry``, starting over if the file changed."""
        current = self.files.get(entry.path)
        if current is None or current.sha256 != entry.sha256:
            current = FileState(sha256=entry.sha256)
            self.files[entry.path] = current
        return current

    def restart(self, entry: ManifestFile) -> FileState:
        """Forget all progress for ``entry`` (e.g. after its blob URL expired)."""
        self.files[entry.path] = FileState(sha256=entry.sha256)
        return self.files[entry.path]

    def save(self) -> None:
        """Write the state atomically (no-op without a path)."""
        if self.path is None:
            return
        document = {
            "version": STATE_VERSION,
            "portal": self.portal,
            "report_name": self.report_name,
            "snapshot": self.snapshot,
            "files": {name: st.to_json() for name, st in sorted(self.files.items())},
        }
        write_text_atomic(self.path, json.dumps(document, indent=2) + "\n")

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        portal: str,
        report_name: str,
        snapshot: bool,
        fresh: bool = False,
    ) -> UploadState:
        """Load the state at ``path`` for this target, or start an empty one.

        Parameters
        ----------
        path
            The ``upload-state.json`` file (need not exist).
        portal, report_name, snapshot
            The target of this run; an existing state for another target is refused.
        fresh
            Ignore (and later overwrite) any existing state.

        Raises
        ------
        ConfigError
            If the state file is unreadable or belongs to another target.
        """
        state = cls(portal=portal, report_name=report_name, snapshot=snapshot, path=path)
        if fresh or not path.exists():
            return state
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                msg = f"unsupported version {data.get('version')!r}"
                raise ValueError(msg)
            files = data.get("files", {})
            if not isinstance(files, dict):
                msg = "'files' must be an object"
                raise TypeError(msg)
            state.files = {str(k): FileState.from_json(v) for k, v in files.items()}
        except (OSError, ValueError, TypeError, AttributeError) as err:
            msg = f"cannot use {str(path)!r} ({err}); rerun with --fresh to start over"
            raise ConfigError(msg) from None
        previous = (data.get("portal"), data.get("report_name"), data.get("snapshot"))
        if previous != (portal, report_name, snapshot):
            kind = "snapshot" if data.get("snapshot") else "continuous"
            msg = (
                f"{str(path)!r} belongs to an upload to {data.get('portal')!r} as {kind} "
                f"report {data.get('report_name')!r}; rerun with the same options to "
                "resume it, or with --fresh to start over"
            )
            raise ConfigError(msg)
        return state
