"""Real image minibatches without downloads: crops of the photographs bundled with scikit-image and scikit-learn,
or scikit-learn's handwritten digits, shaped and normalised like CIFAR; or the user's own tensor / DataLoader.

* ``photos`` (RGB): ten real photographs that ship inside the scikit-image and scikit-learn wheels (astronaut,
  coffee, chelsea the cat, rocket, the Hubble deep field, an immunohistochemistry slide, a retina fundus, the
  left Middlebury motorcycle view, scikit-learn's china and flower). Each sample is a square crop at a seeded
  position whose side is drawn between 1/8 and 1/2 of the photo's shorter side, resized (anti-aliased) to
  ``size`` x ``size`` like CIFAR's downscaled photographs, and normalised with CIFAR-10's channel mean and SD.
  Its label is the index of the photograph it was cut from (10 classes; ``label % num_classes`` for fewer).
* ``digits`` (grey): scikit-learn's 1,797 8x8 handwritten digits (values 0-16), upsampled bilinearly to ``size``,
  normalised with the digit set's own mean and SD; labels are the digits. Repeated over channels when asked for
  RGB.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

from nas_complexity._errors import NASComplexityError

__all__ = ["IMAGE_SOURCES", "CIFAR10_MEAN", "CIFAR10_STD", "ImageBatches", "photo_batch", "digit_batch", "take_batch"]

IMAGE_SOURCES = ("photos", "digits")
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)

# (name, loader) of the bundled real photographs; the synthetic images (colorwheel, logo...) are left out.
_PHOTO_NAMES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
                "motorcycle", "china", "flower")


def _load_photo(name: str) -> np.ndarray:
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    from skimage import data

    if name == "motorcycle":
        return data.stereo_motorcycle()[0]
    return getattr(data, name)()


@lru_cache(maxsize=1)
def _photos() -> tuple[torch.Tensor, ...]:
    """The photographs as ``[3, H, W]`` float tensors in [0, 1] (decoded once per process)."""
    out = []
    for name in _PHOTO_NAMES:
        img = np.asarray(_load_photo(name))[..., :3]
        out.append(torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255.0))
    return tuple(out)


def photo_batch(batch_size: int, seed: int | np.random.Generator = 0,
                size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` CIFAR-like crops ``[B, 3, size, size]`` of the bundled photographs and their photo labels.

    Example:
        >>> x, y = photo_batch(4, seed=0)
        >>> tuple(x.shape), int(y.max()) < 10
        ((4, 3, 32, 32), True)
    """
    _check_batch(batch_size, size)
    photos = _photos()
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(photos), size=batch_size)
    crops = []
    for label in labels:
        photo = photos[label]
        short = min(photo.shape[1:])
        side = int(rng.integers(max(size, short // 8), max(size, short // 2) + 1))
        top = int(rng.integers(0, photo.shape[1] - side + 1))
        left = int(rng.integers(0, photo.shape[2] - side + 1))
        crop = photo[None, :, top : top + side, left : left + side]
        crops.append(torch.nn.functional.interpolate(crop, size=(size, size), mode="bilinear", antialias=True,
                                                     align_corners=False))
    x = torch.cat(crops).clamp_(0.0, 1.0)
    x = (x - torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
    return x.contiguous(), torch.from_numpy(labels.astype(np.int64))


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor, float, float]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0)
    return images, torch.from_numpy(digits.target.astype(np.int64)), float(images.mean()), float(images.std())


def digit_batch(batch_size: int, seed: int | np.random.Generator = 0, size: int = 32,
                channels: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` seeded handwritten digits ``[B, channels, size, size]`` and their digit labels.

    Example:
        >>> x, y = digit_batch(3, seed=1)
        >>> tuple(x.shape), int(y.max()) <= 9
        ((3, 1, 32, 32), True)
    """
    _check_batch(batch_size, size)
    images, targets, mean, std = _digits()
    rows = np.random.default_rng(seed).choice(len(images), size=batch_size, replace=batch_size > len(images))
    index = torch.from_numpy(rows)
    x = torch.nn.functional.interpolate(images[index][:, None], size=(size, size), mode="bilinear",
                                        align_corners=False)
    x = ((x - mean) / std).expand(-1, channels, -1, -1)
    return x.contiguous(), targets[index]


def _check_batch(batch_size: int, size: int) -> None:
    if int(batch_size) < 1:
        raise NASComplexityError(f"batch_size must be a positive integer, got {batch_size!r}")
    if int(size) < 1:
        raise NASComplexityError(f"image size must be a positive integer, got {size!r}")


def take_batch(data: Any, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The first ``batch_size`` samples of user data: a tensor, an ``(inputs, targets)`` pair, or an iterable of
    batches such as a ``DataLoader`` (batches are concatenated until there are enough; the rest is not read).

    Example:
        >>> x, y = take_batch(torch.zeros(10, 3, 8, 8), 4)
        >>> tuple(x.shape), y
        ((4, 3, 8, 8), None)
    """
    if isinstance(data, torch.Tensor):
        batches: Any = [data]
    elif isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], torch.Tensor):
        batches = [data]
    else:
        try:
            batches = iter(data)
        except TypeError:
            raise NASComplexityError(
                f"image data must be a tensor, an (inputs, targets) pair or a DataLoader, got {type(data).__name__}"
            ) from None
    xs: list[torch.Tensor] = []
    ys: list[torch.Tensor] = []
    have = 0
    for batch in batches:
        if isinstance(batch, (tuple, list)):
            x, y = batch[0], (batch[1] if len(batch) > 1 and isinstance(batch[1], torch.Tensor) else None)
        else:
            x, y = batch, None
        if not isinstance(x, torch.Tensor):
            raise NASComplexityError(f"a batch of the image data is a {type(x).__name__}, not a tensor")
        xs.append(x)
        if y is not None:
            ys.append(y)
        have += len(x)
        if have >= batch_size:
            break
    if have < batch_size:
        raise NASComplexityError(f"the image data has {have} samples, {batch_size} requested")
    inputs = torch.cat(xs)[:batch_size]
    targets = torch.cat(ys)[:batch_size] if len(ys) == len(xs) else None
    return inputs, targets


class ImageBatches:
    """Seeded image minibatches of one kind: ``source`` ``"photos"`` or ``"digits"``, or the user's ``data``.

    Example:
        >>> batches = ImageBatches(size=32, channels=3)
        >>> x, y = batches.batch(8, seed=0)
        >>> tuple(x.shape), tuple(y.shape)
        ((8, 3, 32, 32), (8,))
    """

    def __init__(self, source: str = "photos", size: int = 32, channels: int = 3, data: Any = None,
                 num_classes: int | None = None) -> None:
        self.source = source
        self.size = size
        self.channels = channels
        self.data = data
        self.num_classes = num_classes

    def _check(self) -> None:
        if self.data is not None:
            return
        if self.source not in IMAGE_SOURCES:
            raise NASComplexityError(f"unknown image source {self.source!r}; accepted: {', '.join(IMAGE_SOURCES)}")
        if self.source == "photos" and self.channels != 3:
            raise NASComplexityError(f"the photos are RGB (3 channels), {self.channels} asked; use source='digits'")

    @property
    def description(self) -> str:
        self._check()
        if self.data is not None:
            return f"the first samples of user-supplied data ({type(self.data).__name__})"
        if self.source == "photos":
            return (f"{self.size}x{self.size} RGB crops (side 1/8 to 1/2 of the shorter side, seeded positions, "
                    f"anti-aliased resize) of 10 real photographs bundled with scikit-image and scikit-learn, "
                    f"normalised with CIFAR-10's channel mean and SD; label = source photograph")
        return (f"scikit-learn's 8x8 handwritten digits upsampled to {self.size}x{self.size} "
                f"({self.channels} channel{'s' if self.channels > 1 else ''}), normalised with the set's mean and "
                f"SD; label = digit")

    def batch(self, batch_size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Inputs ``[B, channels, size, size]`` and integer labels (``None`` for user data without labels)."""
        self._check()
        if self.data is not None:
            return take_batch(self.data, batch_size)
        if self.source == "photos":
            x, y = photo_batch(batch_size, seed, self.size)
        else:
            x, y = digit_batch(batch_size, seed, self.size, self.channels)
        if self.num_classes is not None:
            y = y % self.num_classes
        return x, y
