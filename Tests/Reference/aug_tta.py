"""The original train.py get_trans(img, I) on an arange batch [2, 3, 5, 5]; writes DIR/tta_I.f32 for I in 0..7."""
import sys
import torch


def get_trans(img, I):
    if I >= 4:
        img = img.transpose(2, 3)
    if I % 4 == 0:
        return img
    elif I % 4 == 1:
        return img.flip(2)
    elif I % 4 == 2:
        return img.flip(3)
    elif I % 4 == 3:
        return img.flip(2).flip(3)


x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
for i in range(8):
    get_trans(x, i).contiguous().numpy().tofile(f"{sys.argv[1]}/tta_{i}.f32")
