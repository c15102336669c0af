"""Image-folder loading, the emoji split rule, the committed class mapping and a miniature
end-to-end emoji build from fake npm tarballs. Fast and offline: no npm packages needed."""
from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nvg import emoji_dataset as ed
from nvg.data import DatasetError, load_image_folder, to_tensor_range


def write_png(path: Path, color=(255, 0, 0), size: int = 8, mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (size, size), color).save(path, format="PNG")
    return path


def png_bytes(color=(0, 0, 255, 255), size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- load_image_folder


def test_happy_path_labels_order_and_range(tmp_path):
    write_png(tmp_path / "b_cls" / "2.png", (0, 0, 0))
    write_png(tmp_path / "b_cls" / "1.png", (255, 255, 255))
    write_png(tmp_path / "a_cls" / "x.png", (255, 0, 0))
    (tmp_path / "a_cls" / ".DS_Store").write_bytes(b"junk")  # hidden files are ignored

    data = load_image_folder(tmp_path, 8)

    assert data.class_names == ["a_cls", "b_cls"]
    assert data.files == ["a_cls/x.png", "b_cls/1.png", "b_cls/2.png"]
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [0, 1, 1]
    assert data.images.dtype == np.uint8 and data.images.shape == (3, 8, 8, 3)
    assert data.images[0, 0, 0].tolist() == [255, 0, 0]

    tensor = to_tensor_range(data.images)
    assert tensor.dtype == np.float32 and tensor.shape == (3, 3, 8, 8)
    assert tensor[1].min() == 1.0 and tensor[2].max() == -1.0  # white -> 1, black -> -1
    assert tensor[0, :, 0, 0].tolist() == [1.0, -1.0, -1.0]  # channels first


def test_explicit_class_names_set_label_order_and_allow_missing_folder(tmp_path):
    write_png(tmp_path / "a" / "1.png")
    write_png(tmp_path / "b" / "1.png")
    data = load_image_folder(tmp_path, 8, class_names=["b", "missing", "a"])
    assert data.class_names == ["b", "missing", "a"]
    assert data.files == ["b/1.png", "a/1.png"] and data.labels.tolist() == [0, 2]


def test_folder_not_in_class_names_is_an_error(tmp_path):
    write_png(tmp_path / "a" / "1.png")
    write_png(tmp_path / "extra" / "1.png")
    with pytest.raises(DatasetError, match="extra"):
        load_image_folder(tmp_path, 8, class_names=["a"])


def test_corrupt_png_names_the_file(tmp_path):
    good = write_png(tmp_path / "a" / "good.png", size=32)
    data = good.read_bytes()
    (tmp_path / "a" / "broken.png").write_bytes(data[: len(data) // 2])  # truncated mid-stream
    with pytest.raises(DatasetError, match=re.escape(str(tmp_path / "a" / "broken.png"))):
        load_image_folder(tmp_path, 32)


def test_non_image_file_names_the_file(tmp_path):
    write_png(tmp_path / "a" / "1.png")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    with pytest.raises(DatasetError, match="notes.txt"):
        load_image_folder(tmp_path, 8)


def test_empty_class_folder_names_the_folder(tmp_path):
    write_png(tmp_path / "a" / "1.png")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(DatasetError, match="empty_class"):
        load_image_folder(tmp_path, 8)


def test_no_classes_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="no class folders"):
        load_image_folder(tmp_path, 8)


def test_wrong_size_names_file_and_size(tmp_path):
    write_png(tmp_path / "a" / "1.png", size=8)
    write_png(tmp_path / "a" / "big.png", size=16)
    with pytest.raises(DatasetError, match=r"big\.png.*16x16.*8x8"):
        load_image_folder(tmp_path, 8)


def test_transparency_is_composited_on_white(tmp_path):
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))  # fully transparent black
    image.putpixel((1, 1), (255, 0, 0, 255))
    image.putpixel((2, 2), (0, 0, 0, 128))  # half-transparent black -> mid grey
    (tmp_path / "a").mkdir()
    image.save(tmp_path / "a" / "rgba.png")
    palette = Image.new("P", (4, 4), 0)  # palette image with a transparent index (PNG tRNS)
    palette.putpalette([0, 0, 0] * 256)
    palette.save(tmp_path / "a" / "palette.png", transparency=0)

    data = load_image_folder(tmp_path, 4)
    palette_px, rgba_px = data.images  # files sorted: palette.png, rgba.png
    assert rgba_px[0, 0].tolist() == [255, 255, 255]
    assert rgba_px[1, 1].tolist() == [255, 0, 0]
    assert all(abs(v - 127) <= 1 for v in rgba_px[2, 2].tolist())
    assert palette_px[0, 0].tolist() == [255, 255, 255]


# --------------------------------------------------------------------------- split rule


def fake_images(class_name: str, bases: list[str], skin_tones: bool = True) -> list[ed.EmojiImage]:
    """Both artwork sets of each base emoji, plus five skin-tone variants if asked."""
    images = []
    for base in bases:
        variants = [base] + ([f"{base}-1F3F{t}" for t in "BCDEF"] if skin_tones else [])
        for set_name in ("twitter", "google"):
            for unified in variants:
                images.append(ed.EmojiImage(set_name, unified, base, "sub", class_name, Path(f"{unified}.png")))
    return images


def test_split_is_deterministic_and_groups_all_variants_of_an_emoji():
    images = fake_images("people", [f"1F{n:03X}" for n in range(40)]) + \
        fake_images("shapes", [f"2B{n:02X}" for n in range(30)], skin_tones=False)

    splits = ed.assign_splits(images, 0.08)
    assert splits == ed.assign_splits(list(reversed(images)), 0.08)  # order of input does not matter

    for class_name in ("people", "shapes"):
        members = [image for image in images if image.class_name == class_name]
        val = [image for image in members if splits[image.base] == "val"]
        assert len(val) >= 0.08 * len(members)  # the held-out share is reached per class
        assert len(val) < 0.25 * len(members)  # without taking much more
    # The split is decided per base emoji: every set and skin tone of it goes the same way.
    by_base = {}
    for image in images:
        by_base.setdefault(image.base, set()).add(splits[image.base])
    assert all(len(s) == 1 for s in by_base.values())
    assert set(splits) == {image.base for image in images}


def test_split_keeps_an_emoji_in_train_for_tiny_classes():
    splits = ed.assign_splits(fake_images("tiny", ["1F600"], skin_tones=False), 0.08)
    assert splits == {"1F600": "train"}


# --------------------------------------------------------------------------- class mapping


def test_committed_mapping_is_valid():
    mapping = ed.load_class_mapping(ed.MAPPING_PATH)
    low, high = ed.CLASS_COUNT_RANGE
    assert 20 <= low and high <= 60 and low <= len(mapping.class_names) <= high
    for name in mapping.class_names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert mapping.group_of[name].strip(), f"class {name} has no group"
        assert mapping.subcategories_of(name), f"class {name} has no subcategory"
    assert all(reason.strip() for reason in mapping.excluded.values())
    assert not set(mapping.class_of) & set(mapping.excluded)
    # emoji-datasource 16.0.0 has 99 subcategories; each must be listed exactly once.
    raw = json.loads(ed.MAPPING_PATH.read_text(encoding="utf-8"))["subcategories"]
    assert len(raw) == 99


def write_mapping(path: Path, subcategories: dict) -> Path:
    path.write_text(json.dumps({"subcategories": subcategories}), encoding="utf-8")
    return path


def test_mapping_errors_name_the_key(tmp_path, monkeypatch):
    monkeypatch.setattr(ed, "CLASS_COUNT_RANGE", (1, 60))
    no_group = write_mapping(tmp_path / "m1.json", {"animal-bird": {"class": "bird"}})
    with pytest.raises(DatasetError, match="animal-bird"):
        ed.load_class_mapping(no_group)
    two_groups = write_mapping(tmp_path / "m2.json", {"a": {"class": "x", "group": "G1"},
                                                      "b": {"class": "x", "group": "G2"}})
    with pytest.raises(DatasetError, match="'b'.*G2"):
        ed.load_class_mapping(two_groups)
    bad_name = write_mapping(tmp_path / "m3.json", {"a": {"class": "Bad-Name", "group": "G"}})
    with pytest.raises(DatasetError, match="Bad-Name"):
        ed.load_class_mapping(bad_name)


def test_unmapped_subcategory_and_small_class_are_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(ed, "CLASS_COUNT_RANGE", (1, 60))
    path = write_mapping(tmp_path / "m.json", {"animal-bird": {"class": "bird", "group": "Animals"}})
    mapping = ed.load_class_mapping(path)
    entries = [{"subcategory": "animal-bird", "category": "Animals"},
               {"subcategory": "animal-new", "category": "Animals"}]
    with pytest.raises(DatasetError, match="animal-new"):
        ed.check_mapping_covers(entries, mapping, path)
    with pytest.raises(DatasetError, match="'bird': 12 images"):
        ed.check_class_sizes(fake_images("bird", ["1F426"]), mapping, path)


# --------------------------------------------------------------------------- extraction and a miniature build


def add_member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def fake_emoji_json(set_name: str) -> list[dict]:
    """Two classes of 3 emoji each (one with skin tones), an excluded keycap and a duplicate drawing."""
    entries = []
    for n, sub in enumerate(["bird", "bird", "bird", "fish", "fish", "fish", "keycap", "fish"]):
        unified = f"1F{n + 0x400:03X}"
        entry = {"unified": unified, "image": f"{unified.lower()}.png", "category": "Test", "subcategory": sub,
                 "sort_order": n, "short_name": f"e{n}", f"has_img_{set_name}": True}
        if n == 0:
            entry["skin_variations"] = {"1F3FB": {"unified": f"{unified}-1F3FB", "image": f"{unified.lower()}-1f3fb.png",
                                                  f"has_img_{set_name}": True}}
        entries.append(entry)
    return entries


def make_fake_source(cache: Path, set_name: str, extra_members=()) -> ed.Source:
    package = f"fake-{set_name}"
    tarball = cache / f"{package}-1.0.0.tgz"
    cache.mkdir(parents=True, exist_ok=True)
    entries = fake_emoji_json(set_name)
    with tarfile.open(tarball, "w:gz") as archive:
        add_member(archive, "package/emoji.json", json.dumps(entries).encode())
        for entry in entries:
            n = entry["sort_order"]
            drawing = 3 if n == 7 else n  # emoji 7 reuses emoji 3's drawing: an exact duplicate
            color = (drawing * 30, 100, 200 if set_name == "google" else 50, 255)
            add_member(archive, f"package/img/{set_name}/64/{entry['image']}", png_bytes(color))
            for variant in entry.get("skin_variations", {}).values():
                add_member(archive, f"package/img/{set_name}/64/{variant['image']}", png_bytes((9, 9, 9, 128)))
        add_member(archive, f"package/img/{set_name}/sheets/sheet.png", b"not extracted")
        for name, data in extra_members:
            add_member(archive, name, data)
    sha1 = hashlib.sha1(tarball.read_bytes()).hexdigest()
    return ed.Source(set_name, package, "1.0.0", sha1, set_name.title(), "credit", "licence", "https://example")


def test_extract_skips_unneeded_files_and_refuses_unsafe_paths(tmp_path):
    source = make_fake_source(tmp_path / "cache", "twitter")
    tarball = ed.fetch_tarball(source, tmp_path / "cache")  # present with the right sha1: no npm call
    package_dir = ed.extract_package(source, tarball, tmp_path / "cache")
    assert (package_dir / "emoji.json").is_file()
    assert len(list((package_dir / "img" / "twitter" / "64").glob("*.png"))) == 9
    assert not (package_dir / "img" / "twitter" / "sheets").exists()

    evil = make_fake_source(tmp_path / "evil", "google", extra_members=[("package/../../escape.txt", b"x")])
    with pytest.raises(DatasetError, match="unsafe path"):
        ed.extract_package(evil, tmp_path / "evil" / evil.tarball_name, tmp_path / "evil")
    assert not (tmp_path / "escape.txt").exists()


def test_fetch_rejects_a_tarball_with_the_wrong_checksum(tmp_path):
    source = make_fake_source(tmp_path, "twitter")
    wrong = ed.Source(**{**source.__dict__, "sha1": "0" * 40})
    with pytest.raises(DatasetError, match=re.escape(source.tarball_name)):
        ed.fetch_tarball(wrong, tmp_path)


def test_miniature_build_layout_and_rebuild(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    sources = (make_fake_source(cache, "twitter"), make_fake_source(cache, "google"))
    monkeypatch.setattr(ed, "SOURCES", sources)
    monkeypatch.setattr(ed, "CLASS_COUNT_RANGE", (1, 60))
    monkeypatch.setattr(ed, "MIN_IMAGES_PER_CLASS", 4)
    mapping = write_mapping(tmp_path / "m.json", {"bird": {"class": "bird", "group": "Animals"},
                                                  "fish": {"class": "fish", "group": "Animals"},
                                                  "keycap": {"exclude": "text glyphs"}})
    out = tmp_path / "out"

    summary = ed.build_emoji_dataset(out, cache, sizes=(16, 64), val_fraction=0.2, mapping_path=mapping)

    classes = json.loads((out / "classes.json").read_text())
    assert [(c["id"], c["name"], c["group"]) for c in classes] == [(0, "bird", "Animals"), (1, "fish", "Animals")]
    assert summary["excluded_images"] == {"keycap": 2}
    assert [(s, u) for s, u, _ in summary["duplicates"]] == [("twitter", "1F407"), ("google", "1F407")]
    assert all(c["val"] >= 1 and c["train"] >= 1 for c in classes)
    for size in (16, 64):
        train = load_image_folder(out / str(size) / "train", size)
        val = load_image_folder(out / str(size) / "val", size, class_names=train.class_names)
        assert len(train) + len(val) == summary["train"] + summary["val"]
        assert not {f.split("_", 1)[1] for f in train.files} & {f.split("_", 1)[1] for f in val.files}
    assert (out / "64" / "train" / "bird" / "twitter_1F400.png").exists() or \
        (out / "64" / "val" / "bird" / "twitter_1F400.png").exists()
    assert not list(out.rglob("*1F3FB*"))  # skin tones are left out by default
    card = (out / "DATASET_CARD.md").read_text()
    assert "fake-twitter@1.0.0" in card and "keycap" in card and "| 0 | `bird` | Animals |" in card

    (out / "stale.txt").write_text("left from an older build")
    again = ed.build_emoji_dataset(out, cache, sizes=(16, 64), val_fraction=0.2, mapping_path=mapping)
    assert again["classes"] == summary["classes"]
    assert not (out / "stale.txt").exists()  # the rebuild replaced the folder as a whole

    ed.build_emoji_dataset(out, cache, sizes=(16,), val_fraction=0.2, mapping_path=mapping, include_skin_tones=True)
    [base] = list(out.rglob("twitter_1F400.png"))
    [tone] = list(out.rglob("twitter_1F400-1F3FB.png"))
    assert base.parent == tone.parent  # a skin tone shares its emoji's split and class
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "m.json", "out"]  # no temp folders left
