"""cv2.imread of each JPEG given (the original's decoder, which applies the EXIF orientation by default):
writes NAME.rgb (RGB rows) and NAME.size ("W H") next to it."""
import sys

import cv2

for path in sys.argv[1:]:
    img = cv2.imread(path)
    if img is None:
        sys.exit(f"cv2.imread could not read {path}")
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    stem = path.rsplit(".", 1)[0]
    open(stem + ".rgb", "wb").write(rgb.tobytes())
    open(stem + ".size", "w").write(f"{rgb.shape[1]} {rgb.shape[0]}")
