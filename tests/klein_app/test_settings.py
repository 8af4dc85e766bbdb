from pathlib import Path

import pytest

from klein_app.settings import (
    Settings,
    SettingsError,
    load_settings,
    resolve_paths,
    save_settings,
    settings_from_dict,
)


def test_db_option_puts_config_and_index_in_one_folder(tmp_path):
    paths = resolve_paths(str(tmp_path / "db"))
    assert paths.config_file == tmp_path / "db" / "config.toml"
    assert paths.data_dir == tmp_path / "db"


def test_env_var_is_used_when_no_db_option(tmp_path, monkeypatch):
    monkeypatch.setenv("KLEIN_SEARCH_HOME", str(tmp_path / "home"))
    assert resolve_paths(None).data_dir == tmp_path / "home"
    assert resolve_paths(str(tmp_path / "other")).data_dir == tmp_path / "other"


def test_platform_folders_without_overrides(monkeypatch):
    monkeypatch.delenv("KLEIN_SEARCH_HOME", raising=False)
    paths = resolve_paths(None)
    assert "klein-search" in str(paths.config_file)
    assert "klein-search" in str(paths.data_dir)


def test_missing_file_gives_defaults(tmp_path):
    s = load_settings(resolve_paths(str(tmp_path)))
    assert s == Settings()
    assert s.chunk_tokens == 128 and s.max_file_mb == 10 and s.model is None and not s.index_hidden


def test_round_trip_with_awkward_strings(tmp_path):
    paths = resolve_paths(str(tmp_path))
    s = Settings(
        folders=['/tmp/a "quoted" folder', "C:\\Users\\x", "/tmp/new\nline", "/tmp/ünï"],
        chunk_tokens=256,
        overlap_tokens=32,
        ignore=["*.log", "!keep.log"],
        include=["~/.config/notes"],
        max_file_mb=2.5,
        model=str(tmp_path),
        index_hidden=True,
    )
    save_settings(paths, s)
    assert load_settings(paths) == s


def test_unset_model_round_trips_as_none(tmp_path):
    paths = resolve_paths(str(tmp_path))
    save_settings(paths, Settings(folders=["/x"]))
    assert load_settings(paths).model is None


@pytest.mark.parametrize(
    "data",
    [
        {"chunk_tokens": "128"},
        {"chunk_tokens": 8},
        {"overlap_tokens": 100},
        {"folders": "/not/a/list"},
        {"index_hidden": 1},
        {"max_file_mb": 0},
        {"max_file_mb": float("nan")},
        {"max_file_mb": float("inf")},
        {"max_file_mb": -1.0},
        {"max_file_mb": 1e12},
        {"model": "/no/such/model/folder"},
    ],
)
def test_invalid_values_are_rejected_with_a_message(data):
    with pytest.raises(SettingsError):
        settings_from_dict(data)


def test_broken_toml_is_a_settings_error(tmp_path):
    paths = resolve_paths(str(tmp_path))
    Path(paths.config_file).write_text("folders = [", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(paths)


@pytest.mark.parametrize("text", ["max_file_mb = nan", "max_file_mb = 1e400", "max_file_mb = -inf"])
def test_non_finite_numbers_in_the_file_are_refused(tmp_path, text):
    paths = resolve_paths(str(tmp_path))
    Path(paths.config_file).write_text(text + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="max_file_mb must be a number above 0"):
        load_settings(paths)


def test_missing_model_folder_is_named(tmp_path):
    paths = resolve_paths(str(tmp_path))
    Path(paths.config_file).write_text(f'model = "{tmp_path / "gone"}"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="model folder .*gone does not exist"):
        load_settings(paths)


@pytest.mark.parametrize("name", ["lite", "klein-lite", "v1", "klein-v1"])
def test_a_bundled_name_is_a_model_setting_that_saves_and_loads(tmp_path, name):
    # a bundled name is no folder path; saving it used to fail with "model folder lite does not exist"
    paths = resolve_paths(str(tmp_path))
    save_settings(paths, Settings(model=name))
    assert load_settings(paths).model == name


def test_unknown_keys_warn_and_are_ignored(tmp_path, caplog):
    paths = resolve_paths(str(tmp_path))
    Path(paths.config_file).write_text('colour = "blue"\nchunk_tokens = 64\n', encoding="utf-8")
    with caplog.at_level("WARNING"):
        s = load_settings(paths)
    assert s.chunk_tokens == 64
    assert "unknown setting 'colour' (ignored)" in caplog.text


def test_saving_keeps_the_users_comments_and_order(tmp_path):
    paths = resolve_paths(str(tmp_path))
    paths.config_file.write_text(
        "# my notes about this setup\nchunk_tokens = 64  # small chunks for short notes\n\n"
        '# the folders I care about\nfolders = ["/srv/a"]\n',
        encoding="utf-8",
    )
    settings = load_settings(paths)
    settings.folders.append("/srv/b")
    save_settings(paths, settings)
    text = paths.config_file.read_text(encoding="utf-8")
    assert text.startswith("# my notes about this setup\nchunk_tokens = 64  # small chunks for short notes\n")
    assert "# the folders I care about\n" in text and text.index("chunk_tokens") < text.index("folders")
    assert "overlap_tokens" not in text  # defaults the user left out stay out
    assert load_settings(paths).folders == ["/srv/a", "/srv/b"]
