"""The original train.py get_trans(img, I) on an arange batch [2, 3, 5, 5]; writes DIR/tta_I.f32 for I in 0..7."""
import sys
import torch
from original_tta import get_trans


x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
for i in range(8):
    get_trans(x, i).contiguous().numpy().tofile(f"{sys.argv[1]}/tta_{i}.f32")
