import json

import pytest

from nvg.config import ConfigError, config_from_dict, load_config


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="tokenizer.chanels"):
        config_from_dict({"tokenizer": {"chanels": [32]}})
    with pytest.raises(ConfigError, match="'epochs'"):
        config_from_dict({"epochs": 3})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match="content.steps"):
        config_from_dict({"content": {"steps": "many"}})


def test_values_are_applied(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "x", "content": {"depth": 2, "lr": 1}}))
    cfg = load_config(str(path))
    assert cfg.name == "x" and cfg.content.depth == 2 and cfg.content.lr == 1 and cfg.structure.depth == 4


def test_bad_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    with pytest.raises(ConfigError, match="broken.json"):
        load_config(str(path))
