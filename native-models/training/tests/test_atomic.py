"""A crash in the middle of a write never replaces the last good checkpoint or pack."""
import os

import pytest
import torch

from nvg import trainer
from nvg.export import write_pack_atomically


def test_checkpoint_survives_a_crash_mid_write(tmp_path, monkeypatch):
    path = str(tmp_path / "model.pt")
    trainer.atomic_save({"step": 1}, path)

    def crash(obj, f):
        with open(f, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        trainer.atomic_save({"step": 2}, path)
    monkeypatch.undo()
    assert torch.load(path)["step"] == 1


def test_pack_survives_a_failed_export(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "manifest.json").write_text("good")

    def failing(tmp):
        open(os.path.join(tmp, "manifest.json"), "w").write("half")
        raise RuntimeError("export check failed")

    with pytest.raises(RuntimeError):
        write_pack_atomically(str(pack), failing)
    assert (pack / "manifest.json").read_text() == "good"
    write_pack_atomically(str(pack), lambda tmp: open(os.path.join(tmp, "manifest.json"), "w").write("new"))
    assert (pack / "manifest.json").read_text() == "new" and not (tmp_path / "pack.old").exists()
