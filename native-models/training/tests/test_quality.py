import numpy as np

from nvg import quality


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 4))
    assert quality.frechet_distance(a, a) < 1e-8
    b = a + np.array([3.0, 0, 0, 0])
    assert abs(quality.frechet_distance(a, b) - 9.0) < 1e-6  # a mean shift of 3 costs 3^2
    c = a * 2.0  # S_c = 4 S_a: Tr(S_a + 4 S_a - 2 * 2 S_a) = Tr(S_a); means differ by mu_a
    expected = a.mean(0) @ a.mean(0) + np.trace(np.cov(a, rowvar=False))
    assert abs(quality.frechet_distance(a, c) - expected) < 1e-6


def test_precision_recall():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 3))
    p, r = quality.precision_recall(real, real.copy())
    assert p == 1.0 and r == 1.0
    far = real + 100.0
    assert quality.precision_recall(real, far) == (0.0, 0.0)
    collapsed = np.repeat(real[:1], 300, axis=0)  # mode collapse: precise, no recall
    p, r = quality.precision_recall(real, collapsed)
    assert p == 1.0 and r < 0.1


def test_mask_to_stage1_and_iou():
    mask = np.zeros((64, 64), dtype=bool)
    mask[:, 32:] = True
    labels = quality.mask_to_stage1(mask, 8, 8).reshape(8, 8)
    assert (labels[:, :4] == 0).all() and (labels[:, 4:] == 1).all()
    flat = labels.reshape(-1)
    assert quality.partition_iou(flat, flat) == 1.0
    assert quality.partition_iou(flat, 1 - flat) == 1.0  # region names do not matter
    top = np.zeros((8, 8), dtype=np.int64)
    top[4:] = 1
    assert abs(quality.partition_iou(flat, top.reshape(-1)) - 1 / 3) < 1e-9
    circle = quality.mask_to_stage1(quality.drawn_maps()["circle"], 8, 8)
    assert circle.sum() == 32 and circle[0] == 0


def test_targets_and_comparison_in_the_card():
    from nvg.evaluate import comparison_lines, targets_section
    from nvg.quality import comparison

    iou = {"circle": 0.9, "rectangle": 0.8, "halves": 0.7, "drawnMean": 0.8, "heldOutMaps": 0.6,
           "imagesPerMap": 2, "scale": {"realReconstruction": 0.7, "randomBalancedSplit": 0.4}}
    g = {"measured": True, "classifier": {"heldOutAccuracy": 0.6}, "classAccuracy": 0.29, "frechetClassifierDistance": 40.0,
         "precision": 0.8, "recall": 0.5, "structureIoU": iou}
    rows = targets_section({"generation": g, "reconstruction": {"finalPsnrGainOverVarDb": 1.2}})
    assert any("0.290 | no" in r for r in rows)       # 0.29 < 0.6 / 2
    assert any("0.800 | yes" in r for r in rows)      # drawn maps at exactly 0.8 meet it
    assert any("+1.20 dB | yes" in r for r in rows)
    assert targets_section({"generation": {"measured": False}}) == []
    other = {"name": "tiny", "image": {"size": 32}, "metrics": {"generation": g, "reconstruction": {"nvg": {"psnrPerStage": [10.0, 20.0]},
                                                                                             "finalPsnrGainOverVarDb": 0.5}}}
    c = comparison(other)
    assert c["pack"] == "tiny" and c["finalPsnr"] == 20.0 and c["structureIoU"]["drawnMean"] == 0.8
    lines = comparison_lines({**g, "comparison": c}, {"finalPsnrGainOverVarDb": 1.2})
    assert "| class accuracy of generated images | 0.290 | 0.290 |" in lines
    assert lines[-1] == "| final-stage PSNR minus the VAR-style quantizer's (dB) | 1.200 | 0.500 |"
    with_psnr = comparison_lines({**g, "comparison": c}, {"nvg": {"psnrPerStage": [9.0, 24.0]}, "finalPsnrGainOverVarDb": 1.2})
    assert "| PSNR after the last stage (dB) | 24.000 | 20.000 |" in with_psnr
    assert comparison({"metrics": {"generation": {"measured": False}}}) is None
