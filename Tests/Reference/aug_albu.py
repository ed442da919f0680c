"""Imports albumentations 0.4.6 (the original's pin) on python 3.11 / numpy 2.

0.4.6's package __init__ imports imgaug (only for its IAA* wrappers) and skimage.measure.label (only for
MaskDropout). Neither is used by the original's transforms, and imgaug 0.4 cannot load on numpy 2, so both are
stubbed before the import. The functional module and the transform classes we use are the real 0.4.6 code.
"""
import sys
import types
import warnings

warnings.filterwarnings("ignore")


def _stub(name, **attrs):
    if name in sys.modules:
        return sys.modules[name]
    try:
        __import__(name)
        return sys.modules[name]
    except Exception:
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod
        return mod


_ia = _stub("imgaug")
_ia.augmenters = _stub("imgaug.augmenters")
_sk = _stub("skimage")
_sk.measure = _stub("skimage.measure", label=None)



def _ensure_albumentations():
    """0.4.6 ships only as an sdist whose setup.py imports pkg_resources: a plain `pip install -r` fails in pip's
    isolated build env, so install it here into this venv, without its deps (imgaug, opencv-python) on first use."""
    try:
        import albumentations  # noqa: F401
        return
    except ImportError:
        pass
    import os
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                           "--no-build-isolation", "-c", os.path.join(here, "constraints.txt"),
                           "albumentations==0.4.6"], stdout=sys.stderr)


_ensure_albumentations()

import cv2  # noqa: E402
import albumentations as A  # noqa: E402
import albumentations.augmentations.functional as F  # noqa: E402

assert A.__version__ == "0.4.6", A.__version__


def original_transforms(image_size):
    """get_transforms(image_size) of the original dataset.py, verbatim in content."""
    train = A.Compose([
        A.Transpose(p=0.5),
        A.VerticalFlip(p=0.5),
        A.HorizontalFlip(p=0.5),
        A.RandomBrightness(limit=0.2, p=0.75),
        A.RandomContrast(limit=0.2, p=0.75),
        A.OneOf([
            A.MotionBlur(blur_limit=5),
            A.MedianBlur(blur_limit=5),
            A.GaussianBlur(blur_limit=5),
            A.GaussNoise(var_limit=(5.0, 30.0)),
        ], p=0.7),
        A.OneOf([
            A.OpticalDistortion(distort_limit=1.0),
            A.GridDistortion(num_steps=5, distort_limit=1.),
            A.ElasticTransform(alpha=3),
        ], p=0.7),
        A.CLAHE(clip_limit=4.0, p=0.7),
        A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=20, val_shift_limit=10, p=0.5),
        A.ShiftScaleRotate(shift_limit=0.1, scale_limit=0.1, rotate_limit=15, border_mode=0, p=0.85),
        A.Resize(image_size, image_size),
        A.Cutout(max_h_size=int(image_size * 0.375), max_w_size=int(image_size * 0.375), num_holes=1, p=0.7),
        A.Normalize(),
    ])
    val = A.Compose([A.Resize(image_size, image_size), A.Normalize()])
    return train, val
