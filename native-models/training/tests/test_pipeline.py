"""End to end on a synthetic dataset: a few training steps of every phase (losses must fall),
the export check in onnxruntime, evaluation, and the reference sampler on the exported pack."""
import json
import os

import numpy as np
import pytest

from conftest import make_shapes_dataset
from nvg import sampler, train
from nvg.backends import OrtBackend, TorchBackend
from nvg.export import check_pack, sha256_file
from nvg.models import TrainedRun

SMOKE = {
    "name": "smoke", "seed": 0, "log_every": 10, "eval_images": 8,
    "data": {"size": 16, "flip_augment": True},
    "tokenizer": {"channels": [16, 32], "res_blocks": 1, "latent_dim": 8, "latent_size": 4, "codebook_size": 64,
                  "var_scales": [1, 2, 4], "steps": 60, "batch": 16, "lr": 0.003, "warmup": 5},
    "content": {"width": 32, "depth": 1, "head_dim": 32, "steps": 60, "batch": 16, "lr": 0.01, "warmup": 5},
    "structure": {"width": 32, "depth": 1, "head_dim": 32, "steps": 60, "batch": 16, "lr": 0.01, "warmup": 5},
    "sampling": {"structureSteps": 4},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    data = make_shapes_dataset(str(tmp / "shapes"))
    cfg = dict(SMOKE, data={**SMOKE["data"], "root": data})
    (tmp / "smoke.json").write_text(json.dumps(cfg))
    run_dir, pack_dir = str(tmp / "run"), str(tmp / "pack")
    assert train.main(["--config", str(tmp / "smoke.json"), "--run-dir", run_dir, "--pack-dir", pack_dir]) == 0
    return run_dir, pack_dir


def _losses(run_dir, phase, key="loss"):
    with open(os.path.join(run_dir, "log.jsonl")) as fh:
        return [r[key] for r in map(json.loads, fh) if r["phase"] == phase]


# (phase, logged loss, the share of the first readings the last ones must stay under): 60 steps
# halve the tokenizer's L1; the generators' losses move less in so few steps, but clearly.
@pytest.mark.parametrize("phase,key,ratio", [("tokenizer", "l1", 0.7), ("tokenizer_var", "l1", 0.7), ("content", "loss", 0.8), ("structure", "loss", 0.93)])
def test_losses_fall(trained, phase, key, ratio):
    losses = _losses(trained[0], phase, key)
    assert len(losses) == 6
    assert np.mean(losses[-2:]) < ratio * np.mean(losses[:2]), losses


def test_resume_skips_finished_phases(trained, capsys):
    run_dir, pack_dir = trained
    cfg_path = os.path.join(os.path.dirname(run_dir), "smoke.json")
    train.main(["--config", cfg_path, "--run-dir", run_dir, "--no-export"])
    out = capsys.readouterr().out
    assert "resuming at step 60/60" in out and "[content] step" not in out


def test_only_one_generator(trained, tmp_path, capsys):
    """--only structure trains that generator alone (the other's checkpoint is left as it is) and
    exports nothing, so two processes can train the generators side by side."""
    import shutil

    run_dir, _ = trained
    cfg_path = os.path.join(os.path.dirname(run_dir), "smoke.json")
    copy = str(tmp_path / "run")
    shutil.copytree(run_dir, copy)
    os.remove(os.path.join(copy, "structure.pt"))
    os.remove(os.path.join(copy, "meta.json"))
    content_before = sha256_file(os.path.join(copy, "content.pt"))
    assert train.main(["--config", cfg_path, "--run-dir", copy, "--only", "structure"]) == 0
    out = capsys.readouterr().out
    assert "[structure] step 60/60" in out and "[content]" not in out
    assert sha256_file(os.path.join(copy, "content.pt")) == content_before
    assert os.path.exists(os.path.join(copy, "structure.pt")) and not os.path.exists(os.path.join(copy, "meta.json"))


def test_pack_contract_and_export_check(trained):
    run_dir, pack_dir = trained
    manifest = json.load(open(os.path.join(pack_dir, "manifest.json")))
    assert manifest["format"] == "nvg-pack" and manifest["formatVersion"] == 1
    assert manifest["stages"]["K"] == 4 and manifest["latent"] == {"h": 4, "w": 4, "e": 8}
    assert manifest["nullClass"] == 2 and [c["name"] for c in manifest["classes"]] == ["disc", "square"]
    assert len(manifest["contentScale"]) == 5 and manifest["ropeAxes"] == [4, 2, 2, 2, 2, 10, 10]
    for name, entry in manifest["files"].items():
        assert sha256_file(os.path.join(pack_dir, entry["file"])) == entry["sha256"], name
    assert sha256_file(os.path.join(pack_dir, "codebook.bin")) == manifest["codebook"]["sha256"]
    diffs = check_pack(pack_dir, run_dir)
    assert set(diffs) == {"encoder", "decoder", "refiner", "content", "structure"}
    assert max(diffs.values()) < 1e-4, diffs
    rec = manifest["metrics"]["reconstruction"]
    assert manifest["metrics"]["measured"] and len(rec["nvg"]["psnrPerStage"]) == 5 and len(rec["varBaseline"]["psnrPerStage"]) == 3
    assert os.path.exists(os.path.join(pack_dir, "MODEL_CARD.md"))


def test_sampler_same_on_onnx_and_torch(trained):
    run_dir, pack_dir = trained
    ort_res = sampler.generate(OrtBackend(pack_dir), 1, seed=5, count=2)
    torch_res = sampler.generate(TorchBackend(TrainedRun(run_dir)), 1, seed=5, count=2)
    assert np.array_equal(ort_res.labels, torch_res.labels)
    assert all(np.array_equal(a, b) for a, b in zip(ort_res.tokens, torch_res.tokens))
    assert np.abs(ort_res.images - torch_res.images).max() < 1e-3


def test_sampler_is_deterministic_and_pins_hold(trained):
    backend = OrtBackend(trained[1])
    K = backend.K
    a = sampler.generate(backend, 0, seed=11, count=2)
    b = sampler.generate(backend, 0, seed=11, count=2)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    for k in range(1, K + 1):  # generated structures are valid hierarchies
        assert np.array_equal(a.labels[:, k] >> 1, a.labels[:, k - 1])
        assert all((np.bincount(l, minlength=2**k) == 16 // 2**k).all() for l in a.labels[:, k])
    # pin stages 0..2 (structure and content) of image 0 and change the seed
    pins = {k: sampler.Pin(labels=a.labels[0, k], tokens=a.tokens[k][0]) for k in range(3)}
    c = sampler.generate(backend, 0, seed=999, count=4, pins=pins)
    for k in range(3):
        assert (c.labels[:, k] == a.labels[0, k]).all() and (c.tokens[k] == a.tokens[k][0]).all()
    later = [not np.array_equal(c.tokens[K][i], a.tokens[K][0]) for i in range(4)]
    assert any(later)  # unpinned stages change with the seed
    # an untouched seed replays exactly: pins equal to what it generated change nothing
    d = sampler.generate(backend, 0, seed=11, count=1, pins={1: sampler.Pin(labels=a.labels[0, 1])})
    assert np.array_equal(d.images[0], a.images[0])


def test_pinned_content_needs_structure(trained):
    backend = OrtBackend(trained[1])
    with pytest.raises(ValueError, match="needs the stage's structure"):
        sampler.generate(backend, 0, seed=1, pins={2: sampler.Pin(tokens=np.zeros(4, dtype=np.int64))})


def test_encode_reference_reconstructs(trained):
    backend = OrtBackend(trained[1])
    from nvg.train import load_split
    from nvg.config import config_from_dict

    meta = json.load(open(os.path.join(trained[0], "meta.json")))
    val = load_split(config_from_dict(meta["config"]), "val", ["disc", "square"])
    image = val.images[0].transpose(2, 0, 1).astype(np.float32) / 127.5 - 1
    labels, tokens, canvases, z = sampler.encode_reference(backend, image)
    assert labels.shape == (5, 16) and [len(t) for t in tokens] == [1, 2, 4, 8, 16]
    # residual construction: each stage brings the canvas closer to the latent
    errors = [np.square(c - z).mean() for c in canvases]
    assert errors[-1] < errors[1] < errors[0]


def test_broken_pack_is_refused(trained, tmp_path):
    from nvg.backends import PackError

    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(PackError, match="manifest"):
        OrtBackend(str(tmp_path))
