#!/usr/bin/env python3
"""Writes the ImageNet weights the original recipe started from, one state dict per backbone, for
`melanoma train --pretrained FILE`. Run it on a machine with internet access (the libraries download
their published weights); copy the files to the training machine. Nothing here runs at training time.

    pip install torch geffnet==1.0.2 resnest==0.0.6b20200823 pretrainedmodels==0.7.4
    python scripts/export-pretrained.py OUT_DIR [NAME ...]

NAME is any --enet-type of the recipe (default: all seven). Each file is OUT_DIR/NAME.pth, the library's
own state dict, classifier included (melanoma skips it when loading as pretrained). geffnet 1.0.2 keeps the
module names and weight URLs of 0.9.8, the original's pin, which cannot load on torch 2.x.
"""
import os
import sys

import torch

RECIPE = ["efficientnet_b3", "tf_efficientnet_b4_ns", "tf_efficientnet_b5_ns", "tf_efficientnet_b6_ns",
          "tf_efficientnet_b7_ns", "resnest101", "seresnext101"]


def build(name):
    if name == "resnest101":
        from resnest.torch import resnest101
        return resnest101(pretrained=True)
    if name == "seresnext101":
        import pretrainedmodels
        return pretrainedmodels.se_resnext101_32x4d(num_classes=1000, pretrained="imagenet")
    import geffnet
    return geffnet.create_model(name, pretrained=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or RECIPE:
        path = os.path.join(out, name + ".pth")
        torch.save(build(name).state_dict(), path)
        print(f"{path}  {os.path.getsize(path) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
