"""Writes test images and what cv2.imread makes of them (the original's decoder) into DIR.

photo.jpg (non-square, colour), gray.jpg (1 channel), cmyk.jpg (Adobe CMYK via Pillow), alpha.png (RGBA),
big.jpg (768x768, for DCT scaling). For each, <name>.rgb holds cv2.imread -> RGB as raw bytes, and
big.half.rgb holds cv2.IMREAD_REDUCED_COLOR_2 (libjpeg scale 1/2), big.quarter.rgb the 1/4 reduction.
"""
import sys
import numpy as np
import cv2
from PIL import Image as PILImage

out = sys.argv[1]
rng = np.random.RandomState(7)


def lesion(h, w):
    """A smooth skin-like background with a dark blotch, hairs and texture: enough structure for every transform."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    img[..., 0] = 190 + 30 * np.sin(xx / 37.0) + 10 * np.cos(yy / 23.0)
    img[..., 1] = 140 + 25 * np.cos(xx / 29.0 + yy / 41.0)
    img[..., 2] = 120 + 20 * np.sin(yy / 19.0)
    r = ((xx - w * 0.55) / (w * 0.22)) ** 2 + ((yy - h * 0.45) / (h * 0.28)) ** 2
    blotch = np.exp(-r * 1.5)[..., None]
    img = img * (1 - 0.7 * blotch) + np.array([60, 30, 20], np.float32) * 0.7 * blotch
    img += rng.normal(0, 6, img.shape)
    for _ in range(6):
        p1 = (int(rng.randint(0, w)), int(rng.randint(0, h)))
        p2 = (int(rng.randint(0, w)), int(rng.randint(0, h)))
        cv2.line(img, p1, p2, (30, 20, 15), 2)
    return np.clip(img, 0, 255).astype(np.uint8)


def save_rgb(name, bgr):
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rgb.tofile(f"{out}/{name}.rgb")
    with open(f"{out}/{name}.size", "w") as f:
        f.write(f"{rgb.shape[1]} {rgb.shape[0]}\n")


photo = lesion(240, 320)
cv2.imwrite(f"{out}/photo.jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
save_rgb("photo", cv2.imread(f"{out}/photo.jpg"))

gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
cv2.imwrite(f"{out}/gray.jpg", gray)
save_rgb("gray", cv2.imread(f"{out}/gray.jpg"))

PILImage.fromarray(photo).convert("CMYK").save(f"{out}/cmyk.jpg", quality=92)
save_rgb("cmyk", cv2.imread(f"{out}/cmyk.jpg"))

rgba = np.dstack([photo, np.full(photo.shape[:2], 128, np.uint8)])
cv2.imwrite(f"{out}/alpha.png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
save_rgb("alpha", cv2.imread(f"{out}/alpha.png"))

big = lesion(768, 768)
cv2.imwrite(f"{out}/big.jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
save_rgb("big", cv2.imread(f"{out}/big.jpg"))
save_rgb("big.half", cv2.imread(f"{out}/big.jpg", cv2.IMREAD_REDUCED_COLOR_2))
save_rgb("big.quarter", cv2.imread(f"{out}/big.jpg", cv2.IMREAD_REDUCED_COLOR_4))
print("ok")
