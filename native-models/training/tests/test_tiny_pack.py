"""The committed tiny pack and the parity fixtures written from it must agree: the pack's files
match their sha256, every graph runs, and re-encoding / re-sampling reproduces the fixtures."""
import json
import os

import numpy as np
import pytest

from nvg import sampler
from nvg.backends import OrtBackend
from nvg.export import sha256_file
from nvg.fixtures import pack_id

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PACK = os.path.join(ROOT, "native-models", "packs", "tiny")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tiny")


def load(name):
    with open(os.path.join(FIXTURES, f"{name}.json")) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def backend():
    return OrtBackend(PACK, threads=1)


def test_pack_files_and_size():
    manifest = json.load(open(os.path.join(PACK, "manifest.json")))
    total = 0
    for entry in list(manifest["files"].values()) + [manifest["codebook"]]:
        path = os.path.join(PACK, entry["file"])
        assert sha256_file(path) == entry["sha256"], entry["file"]
        total += os.path.getsize(path)
    assert total < 10e6
    assert manifest["stages"]["K"] == 6 and manifest["image"]["size"] == 32
    assert manifest["metrics"]["measured"] and len(manifest["metrics"]["reconstruction"]["nvg"]["psnrPerStage"]) == 7
    assert manifest["provenance"]["trainingSeconds"] < 15 * 60


def test_fixtures_belong_to_the_pack():
    for name in ("vgs", "graphs", "sampler"):
        assert load(name)["manifestSha256"] == pack_id(PACK), f"{name}.json is stale: run `npm run models:fixtures`"


def test_reencoding_reproduces_vgs_fixture(backend):
    for item in load("vgs")["images"]:
        im = np.array(item["imageU8"], dtype=np.uint8).reshape(32, 32, 3)
        labels, tokens, canvases, z = sampler.encode_reference(backend, im.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1)
        assert [l.tolist() for l in labels] == item["labels"]
        assert [t.tolist() for t in tokens] == item["tokens"]
        assert np.abs(canvases.reshape(len(canvases), -1) - np.array(item["canvases"])).max() < 1e-5


def test_resampling_reproduces_sampler_fixture(backend):
    case = load("sampler")["cases"][1]  # the pinned case
    pins = {int(k): sampler.Pin(labels=None if p["labels"] is None else np.array(p["labels"]),
                                tokens=None if p["tokens"] is None else np.array(p["tokens"])) for k, p in case["pins"].items()}
    res = sampler.generate(backend, case["classId"], case["seed"], case["count"], pins)
    assert [[l.tolist() for l in res.labels[b]] for b in range(case["count"])] == case["labels"]
    assert [[res.tokens[k][b].tolist() for k in range(7)] for b in range(case["count"])] == case["tokens"]
