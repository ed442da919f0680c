"""Replays augmentation plans written by the Swift tests with albumentations 0.4.6's functional calls.

DIR/cases.json: [{"input": "x.png", "steps": [<AugmentStep as Swift encodes it>], "noise": {"<step index>":
"file.f32"}, "normalize": bool}]. For case i writes DIR/out_i.rgb (uint8 HWC) and, if normalize, DIR/out_i.chw (float32 CHW).
The bulk noise of GaussNoise/ElasticTransform is read from the case's noise file (the Swift side drew it), and
handed to the real functional code (ElasticTransform through a random_state that returns it).
"""
import json
import sys
import numpy as np
import cv2
from aug_albu import F

root = sys.argv[1]


class GivenRandomState:
    """Stands in for np.random.RandomState inside F.elastic_transform: returns the given jitter and fields."""

    def __init__(self, jitter, fields):
        self.jitter = jitter
        self.fields = list(fields)

    def uniform(self, low, high, size=None):
        return np.asarray(self.jitter, np.float64).reshape(size)

    def rand(self, h, w):
        return self.fields.pop(0).astype(np.float64).reshape(h, w)


def motion_kernel(k, xs, ys, xe, ye):
    kernel = np.zeros((k, k), dtype=np.uint8)
    cv2.line(kernel, (xs, ys), (xe, ye), 1, thickness=1)
    return kernel.astype(np.float32) / np.sum(kernel)


def apply(img, step, noise):
    (name, p), = step.items()
    lin, r101 = cv2.INTER_LINEAR, cv2.BORDER_REFLECT_101
    if name == "transpose":
        return F.transpose(img)
    if name == "verticalFlip":
        return F.vflip(img)
    if name == "horizontalFlip":
        return F.hflip(img)
    if name == "brightness":
        return F.brightness_contrast_adjust(img, 1.0, p["beta"], True)
    if name == "contrast":
        return F.brightness_contrast_adjust(img, p["alpha"], 0.0, True)
    if name == "motionBlur":
        return F.motion_blur(img, kernel=motion_kernel(p["kernelSize"], p["xs"], p["ys"], p["xe"], p["ye"]))
    if name == "medianBlur":
        return F.median_blur(img, p["kernelSize"])
    if name == "gaussianBlur":
        return F.gaussian_blur(img, p["kernelSize"])
    if name == "gaussNoise":
        return F.gauss_noise(img, gauss=noise[: img.size].astype(np.float64).reshape(img.shape))
    if name == "opticalDistortion":
        return F.optical_distortion(img, p["k"], p["dx"], p["dy"], lin, r101, None)
    if name == "gridDistortion":
        return F.grid_distortion(img, p["numSteps"], p["xSteps"], p["ySteps"], lin, r101, None)
    if name == "elastic":
        n = img.shape[0] * img.shape[1]
        rs = GivenRandomState(p["jitter"], [noise[:n], noise[n: 2 * n]])
        return F.elastic_transform(img, p["alpha"], p["sigma"], 50, lin, r101, None, rs, False)
    if name == "clahe":
        return F.clahe(img, p["clipLimit"], (p["tiles"], p["tiles"]))
    if name == "hsv":
        return F.shift_hsv(img, p["hue"], p["saturation"], p["value"])
    if name == "shiftScaleRotate":
        return F.shift_scale_rotate(img, p["angle"], p["scale"], p["dx"], p["dy"], lin, cv2.BORDER_CONSTANT, None)
    if name == "resize":
        return F.resize(img, p["size"], p["size"], lin)
    if name == "cutout":
        return F.cutout(img, [(h["x1"], h["y1"], h["x2"], h["y2"]) for h in p["holes"]], 0)
    raise SystemExit(f"unknown step {name}")


cases = json.load(open(f"{root}/cases.json"))
for i, case in enumerate(cases):
    img = cv2.cvtColor(cv2.imread(f"{root}/{case['input']}"), cv2.COLOR_BGR2RGB)
    files = case.get("noise") or {}
    for k, step in enumerate(case["steps"]):
        noise = np.fromfile(f"{root}/{files[str(k)]}", np.float32) if str(k) in files else None
        img = apply(img, step, noise)
    img = np.ascontiguousarray(img)
    img.tofile(f"{root}/out_{i}.rgb")
    with open(f"{root}/out_{i}.size", "w") as f:
        f.write(f"{img.shape[1]} {img.shape[0]}\n")
    if case.get("normalize"):
        chw = F.normalize(img, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 255.0).transpose(2, 0, 1)
        np.ascontiguousarray(chw, np.float32).tofile(f"{root}/out_{i}.chw")
print(cv2.__version__)
