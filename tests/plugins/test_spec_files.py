"""Spec files as plugins: ``spec_paths`` (--format-file, --formats-dir) and SHADOWLENS_FORMATS_PATH."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from shadowlens import PluginError
from shadowlens.errors import SpecError
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.manager import DEFAULT_PLUGINS, FORMATS_PATH_ENV, get_plugins
from shadowlens.plugins.specs import SpecFilePlugin


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SHADOWLENS_DISABLE_PLUGINS", "SHADOWLENS_NO_ENTRYPOINTS", FORMATS_PATH_ENV):
        monkeypatch.delenv(var, raising=False)


def plugin_names(plugins: object) -> list[str | None]:
    pm = plugins.pm  # type: ignore[attr-defined]
    return [pm.get_name(p) for p in pm.get_plugins()]


def test_a_spec_file_is_a_plugin_named_after_it(acme_dir: Path) -> None:
    spec = acme_dir / "acme.toml"
    plugins = get_plugins(load_entrypoints=False, spec_paths=[spec])
    entry = plugins.formats()["acme-proxy"]
    assert entry.plugin == f"file:{spec}"
    assert issubclass(entry.cls, SpecFormat)
    assert entry.cls.spec.path == spec
    assert entry.distribution is None
    # Built-ins first, then the spec file: detection ties go to the built-ins.
    assert list(plugins.formats())[-1] == "acme-proxy"
    assert set(DEFAULT_PLUGINS) < set(plugin_names(plugins))


def test_spec_files_come_after_entry_points(acme_dir: Path) -> None:
    plugins = get_plugins(spec_paths=[acme_dir / "acme.toml"])
    names = [entry.plugin for entry in plugins.formats().values()]
    assert names[-1] == f"file:{acme_dir / 'acme.toml'}"
    first_file = next(i for i, n in enumerate(names) if n.startswith("file:"))
    assert all(not n.startswith("file:") for n in names[:first_file])


def test_a_folder_registers_each_spec_in_it(acme_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "formats"
    folder.mkdir()
    for name in ("acme-proxy", "acme-edge"):
        stem = name.replace("-proxy", "").replace("-", "_")
        shutil.copy(acme_dir / "acme.lark", folder / f"{stem}.lark")
        text = (acme_dir / "acme.toml").read_text(encoding="utf-8")
        text = text.replace('name = "acme-proxy"', f'name = "{name}"').replace(
            'grammar = "acme.lark"', f'grammar = "{stem}.lark"'
        )
        (folder / f"{stem}.toml").write_text(text, encoding="utf-8")
    (folder / "notes.txt").write_text("not a spec", encoding="utf-8")
    plugins = get_plugins(load_entrypoints=False, spec_paths=[folder])
    formats = plugins.formats()
    assert formats["acme-proxy"].plugin == f"file:{folder / 'acme.toml'}"
    assert formats["acme-edge"].plugin == f"file:{folder / 'acme_edge.toml'}"


def test_an_empty_folder_registers_nothing(tmp_path: Path) -> None:
    plugins = get_plugins(load_entrypoints=False, spec_paths=[tmp_path])
    assert list(plugins.formats()) == list(get_plugins(load_entrypoints=False).formats())


def test_the_same_file_twice_is_registered_once(acme_dir: Path) -> None:
    plugins = get_plugins(
        load_entrypoints=False, spec_paths=[acme_dir / "acme.toml", acme_dir, acme_dir]
    )
    assert [n for n in plugin_names(plugins) if n and n.startswith("file:")] == [
        f"file:{acme_dir / 'acme.toml'}"
    ]


def test_the_env_var_adds_files_and_folders_after_the_given_paths(
    acme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(acme_dir / "acme.lark", other / "edge.lark")
    text = (acme_dir / "acme.toml").read_text(encoding="utf-8")
    text = text.replace('"acme-proxy"', '"acme-edge"').replace('"acme.lark"', '"edge.lark"')
    (other / "edge.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv(FORMATS_PATH_ENV, os.pathsep.join(["", str(acme_dir), str(other)]))
    formats = get_plugins(load_entrypoints=False).formats()
    assert formats["acme-proxy"].plugin == f"file:{acme_dir / 'acme.toml'}"
    assert list(formats)[-2:] == ["acme-proxy", "acme-edge"]


def test_no_entrypoints_does_not_skip_spec_files(
    acme_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHADOWLENS_NO_ENTRYPOINTS", "1")
    assert "acme-proxy" in get_plugins(spec_paths=[acme_dir]).formats()


def test_a_spec_file_plugin_can_be_blocked(acme_dir: Path) -> None:
    spec = acme_dir / "acme.toml"
    plugins = get_plugins(load_entrypoints=False, spec_paths=[spec], disabled=[f"file:{spec}"])
    assert "acme-proxy" not in plugins.formats()


def test_a_broken_spec_is_a_plugin_error_at_registration(broken_spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PluginError) as info:
        get_plugins(load_entrypoints=False, spec_paths=[broken_spec.spec])
    error = info.value
    assert error.plugin == f"file:{broken_spec.spec}"
    assert error.exit_code == 4
    assert isinstance(error.__cause__, broken_spec.cause)
    message = str(error)
    assert message.startswith(f"plugin 'file:{broken_spec.spec}': ")
    assert "\n" not in message
    for needle in broken_spec.where:
        assert needle in message


def test_a_broken_spec_in_the_env_var_says_where_it_came_from(
    broken_spec, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(FORMATS_PATH_ENV, str(broken_spec.spec.parent))
    with pytest.raises(PluginError, match=FORMATS_PATH_ENV):
        get_plugins(load_entrypoints=False)


@pytest.mark.parametrize("via_env", [False, True], ids=["given", "env"])
def test_a_missing_path_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via_env: bool
) -> None:
    missing = tmp_path / "nope"
    if via_env:
        monkeypatch.setenv(FORMATS_PATH_ENV, str(missing))
    with pytest.raises(PluginError, match="no such format spec file or folder") as info:
        get_plugins(load_entrypoints=False, spec_paths=[] if via_env else [missing])
    assert info.value.plugin == f"file:{missing}"
    assert isinstance(info.value.__cause__, SpecError)


def test_a_name_clash_with_a_builtin_names_both_plugins(acme_dir: Path) -> None:
    spec = acme_dir / "acme.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('"acme-proxy"', '"cef"'), encoding="utf-8"
    )
    with pytest.raises(PluginError) as info:
        get_plugins(load_entrypoints=False, spec_paths=[spec])  # at registration, not later
    message = str(info.value)
    assert "'cef'" in message
    assert "'shadowlens.formats.cef'" in message
    assert f"'file:{spec}'" in message


def test_spec_file_plugin_compiles_when_created(acme_dir: Path) -> None:
    plugin = SpecFilePlugin(acme_dir / "acme.toml")
    assert plugin.name == f"file:{acme_dir / 'acme.toml'}"
    assert [cls.name for cls in plugin.register_formats()] == ["acme-proxy"]


def test_a_broken_spec_of_a_spec_only_package_names_the_plugin_and_file(
    broken_spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    name = "acme_specs_" + re.sub(r"\W", "_", tmp_path.name)  # one module per test
    package = tmp_path / "site" / name
    shutil.copytree(broken_spec.spec.parent, package)
    (package / "__init__.py").write_text(
        "import shadowlens\nregister_formats = shadowlens.register_specs(__name__)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(package.parent))
    try:
        module = importlib.import_module(name)
        plugins = get_plugins(load_entrypoints=False, extra=[module])
        with pytest.raises(PluginError) as info:
            plugins.formats()
    finally:
        sys.modules.pop(name, None)
    assert info.value.plugin == name
    assert "\n" not in str(info.value)
    for needle in broken_spec.where:
        assert needle in str(info.value)
