"""Build the emoji training set from the Twemoji and Noto Emoji npm packages.

    python -m nvg dataset [--out DIR] [--cache DIR] [--sizes 32,64] [--val-fraction 0.08] [--skin-tones]

Steps: `npm pack` the two pinned emoji-datasource packages into the cache (once),
extract their 64 px PNGs and emoji.json, map each emoji subcategory to a class
with the committed data/emoji_classes.json, composite on white, drop exact
duplicate artwork, split train/val by a hash of the base emoji, write PNGs at
every size plus classes.json and DATASET_CARD.md, and swap the result into place.
Nothing but the two npm packages is downloaded.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

from PIL import Image

from nvg.data import DatasetError, read_image

TRAINING_DIR = Path(__file__).resolve().parents[1]
MODELS_DIR = TRAINING_DIR.parent
DEFAULT_OUT = MODELS_DIR / "data" / "emoji"
DEFAULT_CACHE = MODELS_DIR / "cache" / "npm"
MAPPING_PATH = TRAINING_DIR / "data" / "emoji_classes.json"

SOURCE_SIZE = 64  # the packages ship img/<set>/64/*.png; smaller sizes are downscaled from it
MIN_IMAGES_PER_CLASS = 50
CLASS_COUNT_RANGE = (20, 60)
CLASS_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SPLITS = ("train", "val")


@dataclass(frozen=True)
class Source:
    set_name: str  # folder under img/ in the package, and prefix of the output file names
    package: str
    version: str
    sha1: str  # npm's `shasum` of the tarball: catches a damaged or substituted cache file
    artwork: str
    credit: str
    licence: str
    licence_url: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def tarball_name(self) -> str:
        return f"{self.package}-{self.version}.tgz"


SOURCES = (
    Source(
        set_name="twitter",
        package="emoji-datasource-twitter",
        version="16.0.0",
        sha1="e2bd39a8acb77e158106f8249dd7b4cd93fa1b14",
        artwork="Twemoji",
        credit="Twemoji graphics by Twitter, Inc. (now X Corp.) and other contributors (https://github.com/jdecked/twemoji)",
        licence="CC-BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    ),
    Source(
        set_name="google",
        package="emoji-datasource-google",
        version="16.0.0",
        sha1="a80ac3e8106cbd4d8648ce758aa099e8827b6157",
        artwork="Noto Emoji",
        credit="Noto Emoji by Google LLC (https://github.com/googlefonts/noto-emoji)",
        licence="Apache License 2.0",
        licence_url="https://www.apache.org/licenses/LICENSE-2.0",
    ),
)


@dataclass(frozen=True)
class EmojiImage:
    set_name: str
    unified: str  # this image's code points (a skin-tone variant has its own)
    base: str  # code points of the base emoji: the split key shared by all its variants
    subcategory: str
    class_name: str
    path: Path  # source PNG inside the extracted package
    short_name: str = ""  # of the base emoji, for messages and the card

    @property
    def file_name(self) -> str:
        return f"{self.set_name}_{self.unified}.png"


@dataclass
class ClassMapping:
    class_of: dict[str, str]  # subcategory -> class name
    group_of: dict[str, str]  # class name -> group
    excluded: dict[str, str]  # subcategory -> reason

    @property
    def class_names(self) -> list[str]:
        return sorted(self.group_of)

    def subcategories_of(self, class_name: str) -> list[str]:
        return sorted(sub for sub, name in self.class_of.items() if name == class_name)


# --------------------------------------------------------------------------- class mapping


def load_class_mapping(path: Path = MAPPING_PATH) -> ClassMapping:
    """Read and validate data/emoji_classes.json (every error names the key at fault)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read the class mapping ({exc})") from exc
    entries = raw.get("subcategories") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise DatasetError(f"{path}: expected an object with a non-empty 'subcategories' object")

    mapping = ClassMapping(class_of={}, group_of={}, excluded={})
    for sub, entry in entries.items():
        _add_mapping_entry(mapping, path, sub, entry)

    low, high = CLASS_COUNT_RANGE
    if not low <= len(mapping.group_of) <= high:
        raise DatasetError(f"{path}: {len(mapping.group_of)} classes, expected {low}-{high}")
    return mapping


def _add_mapping_entry(mapping: ClassMapping, path: Path, sub: str, entry: object) -> None:
    where = f"{path}: subcategories[{sub!r}]"
    if not isinstance(entry, dict):
        raise DatasetError(f"{where}: expected an object")
    if "exclude" in entry:
        reason = entry["exclude"]
        if set(entry) != {"exclude"} or not isinstance(reason, str) or not reason.strip():
            raise DatasetError(f"{where}: an exclusion is {{\"exclude\": \"<reason>\"}} and nothing else")
        mapping.excluded[sub] = reason
        return
    name, group = entry.get("class"), entry.get("group")
    if set(entry) != {"class", "group"}:
        raise DatasetError(f"{where}: expected keys 'class' and 'group' (or only 'exclude'), got {sorted(entry)}")
    if not isinstance(name, str) or not CLASS_NAME_RE.match(name):
        raise DatasetError(f"{where}: class {name!r} is not a lowercase snake_case name")
    if not isinstance(group, str) or not group.strip():
        raise DatasetError(f"{where}: class {name!r} has no group")
    # One class must sit in one group, or the UI's grouped class picker would show it twice.
    if mapping.group_of.setdefault(name, group) != group:
        raise DatasetError(f"{where}: class {name!r} is in group {group!r} here but {mapping.group_of[name]!r} elsewhere")
    mapping.class_of[sub] = name


def check_mapping_covers(entries: Sequence[dict], mapping: ClassMapping, path: Path = MAPPING_PATH) -> None:
    """Every subcategory in emoji.json is mapped or excluded, and the mapping has no stale keys."""
    present = {e["subcategory"]: e["category"] for e in entries}
    listed = set(mapping.class_of) | set(mapping.excluded)
    missing = sorted(set(present) - listed)
    if missing:
        shown = ", ".join(f"{sub!r} ({present[sub]})" for sub in missing)
        raise DatasetError(f"{path}: subcategories missing from the mapping: {shown}; "
                           "add each as {\"class\": ..., \"group\": ...} or {\"exclude\": \"<reason>\"}")
    stale = sorted(listed - set(present))
    if stale:
        raise DatasetError(f"{path}: mapping lists subcategories that emoji.json does not have: {stale}")


# --------------------------------------------------------------------------- fetching and extraction


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_tarball(source: Source, cache_dir: Path) -> Path:
    """The package tarball in the cache, downloaded with `npm pack` if it is not there yet."""
    path = cache_dir / source.tarball_name
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        command = ["npm", "pack", source.spec, "--pack-destination", str(cache_dir), "--ignore-scripts"]
        print(f"downloading {source.spec} with npm pack ...", flush=True)
        try:
            subprocess.run(command, cwd=cache_dir, check=True, capture_output=True, text=True)
        except FileNotFoundError as exc:
            raise DatasetError(f"npm: not found on PATH; it is needed once to download {source.spec}") from exc
        except subprocess.CalledProcessError as exc:
            raise DatasetError(f"npm pack {source.spec} failed:\n{(exc.stderr or exc.stdout).strip()}") from exc
        if not path.exists():
            raise DatasetError(f"{path}: `npm pack {source.spec}` did not produce this file")
    digest = _sha1(path)
    if digest != source.sha1:
        raise DatasetError(f"{path}: sha1 {digest} is not the pinned {source.sha1}; delete it to download it again")
    return path


def _wanted_member(name: str, set_name: str) -> PurePosixPath | None:
    """Path (relative to the package root) to extract for tar member `name`, or None to skip it.

    Only emoji.json, the licence and the 64 px PNGs are needed; the sprite sheets
    are most of the tarball and are skipped.
    """
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != "package":
        return None
    rel = PurePosixPath(*parts[1:])
    if rel.parts in (("emoji.json",), ("LICENSE",), ("package.json",)):
        return rel
    if rel.parts[:3] == ("img", set_name, str(SOURCE_SIZE)) and len(rel.parts) == 4 and rel.suffix == ".png":
        return rel
    return None


def _check_member_name(name: str, tarball: Path) -> None:
    """Refuse absolute paths and '..' anywhere in the archive: we never write outside the target."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise DatasetError(f"{tarball}: unsafe path in archive: {name!r}")


def extract_package(source: Source, tarball: Path, cache_dir: Path) -> Path:
    """Extract the needed files into <cache>/<package>-<version>/ (once) and return that folder.

    Members are read with tarfile and written by us, so links, devices and
    permissions in the archive are never reproduced on disk.
    """
    dest = cache_dir / f"{source.package}-{source.version}"
    marker = dest / ".extracted"
    if marker.exists():
        return dest
    partial = cache_dir / f".{dest.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                _check_member_name(member.name, tarball)
                rel = _wanted_member(member.name, source.set_name)
                if rel is None:
                    continue
                if not member.isfile():
                    raise DatasetError(f"{tarball}: {member.name!r} is not a regular file")
                target = partial.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.extractfile(member).read())
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise DatasetError(f"{tarball}: cannot extract ({exc}); delete it to download it again") from exc
    (partial / ".extracted").write_text(f"{source.spec}\n")
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    return dest


def load_emoji_json(package_dir: Path) -> list[dict]:
    path = package_dir / "emoji.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(entries, list):
        raise DatasetError(f"{path}: expected a list of emoji")
    for index, entry in enumerate(entries):
        for key in ("unified", "image", "category", "subcategory", "sort_order"):
            if not isinstance(entry, dict) or key not in entry:
                raise DatasetError(f"{path}: emoji #{index} has no {key!r}")
    return entries


# --------------------------------------------------------------------------- selecting images


def _variants(entry: dict, include_skin_tones: bool) -> Iterator[dict]:
    """The base emoji, then (optionally) its skin-tone variations in key order."""
    yield entry
    if include_skin_tones:
        variations = entry.get("skin_variations") or {}
        for key in sorted(variations):
            yield variations[key]


def collect_images(source: Source, package_dir: Path, entries: Sequence[dict], mapping: ClassMapping,
                   include_skin_tones: bool, excluded: Counter) -> list[EmojiImage]:
    """Every image of this set that belongs to a class, in emoji.json sort order.

    Images of excluded subcategories are counted into `excluded` (for the card).
    """
    has_img = f"has_img_{source.set_name}"
    image_dir = package_dir / "img" / source.set_name / str(SOURCE_SIZE)
    images = []
    for entry in sorted(entries, key=lambda e: (e["sort_order"], e["unified"])):
        sub = entry["subcategory"]
        for variant in _variants(entry, include_skin_tones):
            if not variant.get(has_img):
                continue  # this artwork set has no drawing for it
            path = image_dir / variant["image"]
            if not path.is_file():
                raise DatasetError(f"{path}: emoji.json says {has_img} but the file is not in {source.tarball_name}")
            if sub in mapping.excluded:
                excluded[sub] += 1
                continue
            images.append(EmojiImage(source.set_name, variant["unified"], entry["unified"], sub,
                                     mapping.class_of[sub], path, entry.get("short_name", "")))
    return images


def render_source(image: EmojiImage) -> Image.Image:
    """The source PNG composited on white, checked to be SOURCE_SIZE square."""
    rgb = read_image(image.path)
    if rgb.size != (SOURCE_SIZE, SOURCE_SIZE):
        raise DatasetError(f"{image.path}: image is {rgb.size[0]}x{rgb.size[1]}, expected {SOURCE_SIZE}x{SOURCE_SIZE}")
    return rgb


def drop_duplicates(images: Sequence[EmojiImage], rendered: dict[EmojiImage, Image.Image]
                    ) -> tuple[list[EmojiImage], list[tuple[EmojiImage, EmojiImage]]]:
    """Keep the first of any pixel-identical images within one artwork set.

    Some emoji share one drawing (e.g. Twemoji draws all gendered families as the
    same silhouettes; 'fr' and 'flag-mf' are the same flag). Kept twice under
    different base emoji they could land in both splits, i.e. leak val into train.
    """
    first_seen: dict[tuple[str, bytes], EmojiImage] = {}
    kept, dropped = [], []
    for image in images:
        key = (image.set_name, hashlib.sha256(rendered[image].tobytes()).digest())
        if key in first_seen:
            dropped.append((image, first_seen[key]))
        else:
            first_seen[key] = image
            kept.append(image)
    return kept, dropped


def check_class_sizes(images: Sequence[EmojiImage], mapping: ClassMapping, path: Path = MAPPING_PATH) -> Counter:
    counts = Counter(image.class_name for image in images)
    short = [name for name in mapping.class_names if counts[name] < MIN_IMAGES_PER_CLASS]
    if short:
        detail = "; ".join(f"{name!r}: {counts[name]} images from {mapping.subcategories_of(name)}" for name in short)
        raise DatasetError(f"{path}: classes with fewer than {MIN_IMAGES_PER_CLASS} images: {detail}; "
                           "merge them into other classes")
    return counts


# --------------------------------------------------------------------------- train/val split


def split_hash(base: str) -> str:
    """Stable per-emoji ordering key: sha256 of the base emoji's code points."""
    return hashlib.sha256(base.encode("ascii")).hexdigest()


def assign_splits(images: Iterable[EmojiImage], val_fraction: float) -> dict[str, str]:
    """Map each base emoji to 'train' or 'val'.

    Per class, base emoji are ordered by split_hash and taken into val until at
    least ceil(val_fraction * class images) images are held out. The unit is the
    base emoji, so both artwork sets and all skin tones of one emoji always share
    a split. Ranking (rather than thresholding the hash) guarantees every class
    gets its share even when it has few emoji; at least one emoji stays in train.
    """
    per_class: dict[str, Counter] = defaultdict(Counter)
    for image in images:
        per_class[image.class_name][image.base] += 1

    splits: dict[str, str] = {}
    for bases in per_class.values():
        target = math.ceil(val_fraction * sum(bases.values()))
        held_out = 0
        for rank, base in enumerate(sorted(bases, key=split_hash)):
            take = held_out < target and rank < len(bases) - 1
            splits[base] = "val" if take else "train"
            held_out += bases[base] if take else 0
    return splits


# --------------------------------------------------------------------------- writing


def write_images(out: Path, images: Sequence[EmojiImage], rendered: dict[EmojiImage, Image.Image],
                 splits: dict[str, str], sizes: Sequence[int]) -> None:
    for image in images:
        source = rendered[image]
        for size in sizes:
            # BOX = area averaging: no ringing around the flat-coloured shapes, unlike LANCZOS.
            pixels = source if size == SOURCE_SIZE else source.resize((size, size), Image.Resampling.BOX)
            target = out / str(size) / splits[image.base] / image.class_name / image.file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            pixels.save(target, format="PNG")


def class_rows(images: Sequence[EmojiImage], splits: dict[str, str], mapping: ClassMapping) -> list[dict]:
    """classes.json rows; ids follow sorted class names, the order load_image_folder uses."""
    counts = Counter((image.class_name, splits[image.base]) for image in images)
    return [{"id": index, "name": name, "group": mapping.group_of[name],
             "train": counts[name, "train"], "val": counts[name, "val"]}
            for index, name in enumerate(mapping.class_names)]


def replace_dir(built: Path, out: Path) -> None:
    """Swap a finished build into place: two renames, so `out` is never half-written."""
    # Guard against a mistyped --out (say, the home folder) being swapped away.
    if out.exists() and any(out.iterdir()) and not (out / "classes.json").exists():
        raise DatasetError(f"{out}: exists but is not an emoji dataset (no classes.json); refusing to replace it")
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    built.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(summary: dict, mapping: ClassMapping) -> str:
    rows = summary["classes"]
    train, val = summary["train"], summary["val"]
    excluded = summary["excluded_images"]
    dropped = summary["duplicates"]
    sizes = ", ".join(str(s) for s in summary["sizes"])
    sources = _table(["set", "artwork", "npm package", "licence", "credit"],
                     [(s.set_name, s.artwork, f"`{s.spec}` (sha1 `{s.sha1[:12]}…`)", f"[{s.licence}]({s.licence_url})",
                       s.credit) for s in SOURCES])
    classes = _table(["id", "class", "group", "emoji subcategories", "train", "val", "total"],
                     [(r["id"], f"`{r['name']}`", r["group"], ", ".join(mapping.subcategories_of(r["name"])),
                       r["train"], r["val"], r["train"] + r["val"]) for r in rows])
    exclusions = "\n".join(f"- `{sub}` ({excluded.get(sub, 0)} images): {reason}"
                           for sub, reason in sorted(mapping.excluded.items()))
    duplicates = ", ".join(f"{image.set_name} `{image.short_name}` = `{kept.short_name}`" for image, kept in dropped)
    skin = ("**included**: every skin-tone variation is a separate image; all variants of an emoji share its split."
            if summary["skin_tones"] else
            "**not included** (default). A skin-tone variation is the same drawing recoloured; including them "
            "would multiply the people and hand classes about 5-fold with near-duplicates and dominate training. "
            "Only the default (yellow / neutral) artwork is used. `--skin-tones` builds a variant that includes them.")
    fraction = summary["val_fraction"]
    return f"""# Emoji dataset card

Built by `python -m nvg dataset` (native-models/training/nvg/emoji_dataset.py) with the class mapping
native-models/training/data/emoji_classes.json. Rebuilding gives the same files.

## Sources and licences

{sources}

Emoji metadata (emoji.json: code points, categories, subcategories) comes from the same packages:
[emoji-datasource](https://github.com/iamcal/emoji-data) by Cal Henderson, MIT licence.
Nothing else was downloaded.

Changes made to the artwork (as CC-BY 4.0 and Apache 2.0 ask to be stated): each 64 px PNG was composited
onto a white background and saved as RGB; the smaller sizes were downscaled from that with area averaging
(PIL `BOX`). Pixel-identical duplicates were dropped. Anyone redistributing this dataset or images generated
from models trained on it should keep the credits above: "Twemoji by Twitter, Inc. and other contributors,
CC-BY 4.0" and "Noto Emoji by Google, Apache License 2.0".

## Totals

- {len(rows)} classes, {train + val} images per size: {train} train + {val} val ({100 * val / (train + val):.1f}% val).
- Sizes: {sizes} px; every size holds the same images.
- Skin-tone variations: {skin}

## How classes were formed

emoji.json sorts emoji into categories (e.g. "Animals & Nature") and {summary["subcategories"]} subcategories
(e.g. `animal-mammal`). Most subcategories are too small to be a class on their own (a few emoji times two
artwork sets), so data/emoji_classes.json merges them into {len(rows)} classes of at least
{MIN_IMAGES_PER_CLASS} images, joining subcategories that look alike: yellow faces by mood, hands with other
body parts, fruit with vegetables, all vehicles, square "button" symbols (arrows and media controls),
purple-square religion and zodiac symbols, warning and transport signs, simple marks and glyph symbols. The
class `group` is the emoji category, for the UI's grouped class picker. The builder stops with an error if a
subcategory is missing from the mapping or a class falls under {MIN_IMAGES_PER_CLASS} images.

Class sizes are unbalanced (`flag` is by far the largest); a training loop may want class-balanced sampling.

{classes}

## Exclusions

Excluded subcategories:

{exclusions}

Exact duplicates: {len(dropped)} images were dropped because their pixels equal an earlier image of the same
artwork set (kept image in emoji.json order). Otherwise the copies could fall into different splits.
Dropped: {duplicates or "none"}.

## Train/val split

Unit of the split: the base emoji (its `unified` code points). Both artwork sets and all skin tones of one emoji
are always in the same split, so no drawing of a val emoji is seen in training. Per class, base emoji are
ordered by sha256 of the base `unified` string and taken into val until at least
ceil({fraction} x class images) images are held out (at least one emoji stays in train). The rule is
deterministic: the same inputs always give the same split.

## Layout

```
<out>/<size>/train/<class>/<set>_<unified>.png
<out>/<size>/val/<class>/<set>_<unified>.png
<out>/classes.json        [{{"id", "name", "group", "train", "val"}}], ids in sorted class-name order
<out>/DATASET_CARD.md     this file
```
"""


# --------------------------------------------------------------------------- entry points


def _check_options(sizes: Sequence[int], val_fraction: float) -> list[int]:
    sizes = sorted(set(int(s) for s in sizes))
    if not sizes or any(not 1 <= s <= SOURCE_SIZE for s in sizes):
        raise DatasetError(f"sizes: {sizes} must be between 1 and {SOURCE_SIZE} (the source artwork size)")
    if not 0 < val_fraction < 0.5:
        raise DatasetError(f"val_fraction: {val_fraction} must be between 0 and 0.5")
    return sizes


def _prepare_sources(cache_dir: Path, mapping: ClassMapping, mapping_path: Path, include_skin_tones: bool
                     ) -> tuple[list[EmojiImage], Counter, int]:
    images, excluded, subcategories = [], Counter(), 0
    for source in SOURCES:
        package_dir = extract_package(source, fetch_tarball(source, cache_dir), cache_dir)
        entries = load_emoji_json(package_dir)
        check_mapping_covers(entries, mapping, mapping_path)
        subcategories = len({e["subcategory"] for e in entries})
        images += collect_images(source, package_dir, entries, mapping, include_skin_tones, excluded)
    return images, excluded, subcategories


def build_emoji_dataset(out_dir: str | Path = DEFAULT_OUT, cache_dir: str | Path = DEFAULT_CACHE,
                        sizes: Sequence[int] = (32, 64), val_fraction: float = 0.08,
                        include_skin_tones: bool = False, mapping_path: str | Path = MAPPING_PATH) -> dict:
    """Build the dataset into out_dir (replacing an earlier build) and return a summary."""
    started = time.monotonic()
    out_dir, cache_dir = Path(out_dir).resolve(), Path(cache_dir).resolve()
    sizes = _check_options(sizes, val_fraction)
    mapping = load_class_mapping(Path(mapping_path))

    candidates, excluded, subcategories = _prepare_sources(cache_dir, mapping, Path(mapping_path), include_skin_tones)
    rendered = {image: render_source(image) for image in candidates}
    images, dropped = drop_duplicates(candidates, rendered)
    check_class_sizes(images, mapping, Path(mapping_path))
    splits = assign_splits(images, val_fraction)

    summary = {
        "out_dir": str(out_dir), "sizes": sizes, "val_fraction": val_fraction, "skin_tones": include_skin_tones,
        "classes": class_rows(images, splits, mapping), "subcategories": subcategories,
        "excluded_images": dict(excluded), "duplicates": dropped,
    }
    summary["train"] = sum(row["train"] for row in summary["classes"])
    summary["val"] = sum(row["val"] for row in summary["classes"])

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        write_images(building, images, rendered, splits, sizes)
        (building / "classes.json").write_text(json.dumps(summary["classes"], indent=2) + "\n", encoding="utf-8")
        (building / "DATASET_CARD.md").write_text(render_card(summary, mapping), encoding="utf-8")
        replace_dir(building, out_dir)
    finally:
        shutil.rmtree(building, ignore_errors=True)

    summary["duplicates"] = [(image.set_name, image.unified, kept.unified) for image, kept in dropped]
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


def print_summary(summary: dict) -> None:
    print(f"{'id':>3} {'class':22s} {'group':18s} {'train':>6} {'val':>5}")
    for row in summary["classes"]:
        print(f"{row['id']:3d} {row['name']:22s} {row['group']:18s} {row['train']:6d} {row['val']:5d}")
    total = summary["train"] + summary["val"]
    print(f"{len(summary['classes'])} classes, {total} images per size ({summary['train']} train, "
          f"{summary['val']} val), sizes {summary['sizes']}, {len(summary['duplicates'])} duplicates dropped, "
          f"{sum(summary['excluded_images'].values())} excluded")
    print(f"wrote {summary['out_dir']} in {summary['seconds']} s")


def _parse_sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m nvg dataset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="npm tarball cache (default: %(default)s)")
    parser.add_argument("--sizes", type=_parse_sizes, default=[32, 64], help="image sizes in px (default: 32,64)")
    parser.add_argument("--val-fraction", type=float, default=0.08, help="held-out share per class (default: 0.08)")
    parser.add_argument("--skin-tones", action="store_true", help="also include skin-tone variations")
    args = parser.parse_args(argv)
    try:
        summary = build_emoji_dataset(args.out, args.cache, args.sizes, args.val_fraction, args.skin_tones)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_summary(summary)
    return 0
