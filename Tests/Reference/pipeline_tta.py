"""train.py's get_trans(img, I) for I in 0..7 on a non-square arange batch.

Prints, per variant, "I<TAB>shape<TAB>values" (comma-separated, row-major).
"""
import torch


def get_trans(img, I):
    # train.py, verbatim logic
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


x = torch.arange(2 * 2 * 3 * 4, dtype=torch.float32).reshape(2, 2, 3, 4)
for i in range(8):
    y = get_trans(x, i).contiguous()
    print(i, ",".join(str(d) for d in y.shape), ",".join(str(int(v)) for v in y.flatten().tolist()), sep="\t")
