"""Image-folder datasets: `<root>/<class_name>/<image>.png`, one subfolder per class.

Loading is strict on purpose: a dataset that silently skips a corrupt file or
mixes image sizes produces a model that is subtly wrong, so every problem is a
DatasetError that names the offending file, folder or key.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

# What PIL raises for unreadable, truncated or malformed image data.
_PIL_ERRORS = (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError)


class DatasetError(Exception):
    """A dataset problem; the message always names the file, folder or key at fault."""


@dataclass
class ImageSet:
    images: np.ndarray  # uint8 [N, H, W, 3]
    labels: np.ndarray  # int64 [N], index into class_names
    class_names: list[str]
    files: list[str]  # paths relative to the root, with '/' separators

    def __len__(self) -> int:
        return len(self.files)


def to_rgb_on_white(image: Image.Image) -> Image.Image:
    """RGB copy of `image`; any transparency is composited onto white.

    Palette and grey images can carry transparency too (PNG tRNS), so everything
    goes through RGBA rather than testing for mode 'RGBA' only.
    """
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def read_image(path: Path, label: str | None = None) -> Image.Image:
    """Open, validate and fully decode an image file; returns RGB composited on white.

    `verify()` catches structural damage (bad chunks / CRCs) but does not decode,
    and `load()` catches truncated pixel data, so both are needed. `label` is the
    name used in error messages (defaults to the path).
    """
    name = label or str(path)
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            image.load()
            return to_rgb_on_white(image)
    except _PIL_ERRORS as exc:
        raise DatasetError(f"{name}: not a readable image ({exc})") from exc


def _visible_entries(folder: Path) -> list[Path]:
    """Sorted entries of `folder`, skipping hidden files ('.DS_Store', '.gitkeep', ...)."""
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)


def _class_folders(root: Path, class_names: Sequence[str] | None) -> tuple[list[str], dict[str, Path | None]]:
    """Class order and each class's folder (None: no folder, allowed only with explicit class_names)."""
    entries = _visible_entries(root)
    stray_files = [p for p in entries if not p.is_dir()]
    if stray_files:
        raise DatasetError(f"{stray_files[0]}: unexpected file in dataset root (expected one subfolder per class)")
    found = {p.name: p for p in entries}
    if class_names is None:
        names = sorted(found)
    else:
        names = list(class_names)
        if len(set(names)) != len(names):
            raise DatasetError(f"class_names has duplicates: {names}")
        unknown = sorted(set(found) - set(names))
        if unknown:
            raise DatasetError(f"{found[unknown[0]]}: class folder not in the given class_names")
    if not names:
        raise DatasetError(f"{root}: no class folders found")
    return names, {name: found.get(name) for name in names}


def _class_files(folder: Path) -> list[Path]:
    files = _visible_entries(folder)
    if not files:
        raise DatasetError(f"{folder}: empty class folder")
    subfolders = [p for p in files if p.is_dir()]
    if subfolders:
        raise DatasetError(f"{subfolders[0]}: unexpected subfolder inside a class folder")
    return files


def load_image_folder(root: str | Path, size: int, class_names: Sequence[str] | None = None) -> ImageSet:
    """Load every image under `root/<class>/` as uint8 RGB of exactly size x size.

    Classes are the sorted subfolder names, or `class_names` in that order (a val
    split then gets the same label ids as train; a listed class with no folder
    is an empty class). Files are sorted so the result is deterministic.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset folder does not exist")
    names, folders = _class_folders(root, class_names)

    images: list[np.ndarray] = []
    labels: list[int] = []
    files: list[str] = []
    for label, name in enumerate(names):
        folder = folders[name]
        if folder is None:
            continue
        for path in _class_files(folder):
            rel = path.relative_to(root).as_posix()
            image = read_image(path, label=str(path))
            if image.size != (size, size):
                raise DatasetError(f"{path}: image is {image.size[0]}x{image.size[1]}, expected {size}x{size}")
            images.append(np.asarray(image, dtype=np.uint8))
            labels.append(label)
            files.append(rel)

    if not images:
        raise DatasetError(f"{root}: no images in any of the class folders {names}")
    return ImageSet(images=np.stack(images), labels=np.asarray(labels, dtype=np.int64), class_names=names, files=files)


def to_tensor_range(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W] in [-1, 1] (0 -> -1, 255 -> 1)."""
    images = np.asarray(images_uint8)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise DatasetError(f"images: expected uint8 [N,H,W,3], got {images.dtype} {list(images.shape)}")
    scaled = images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    return np.ascontiguousarray(scaled.transpose(0, 3, 1, 2))
