"""Grad-CAM of the melanoma logit at the last feature map (geffnet's act2), with torch autograd, for the
Swift GradCAM test: per TTA variant (get_trans) ReLU(sum_k mean_ij(dS/dA_k) A_k), bilinear to SIZE,
flipped/transposed back, averaged over variants.

Usage: gradcam_ref.py DIR N_TEST MEL_IDX SIZE OUT_DIM
Reads DIR/model.pth (enet.*, myfc.*) and DIR/inputs.safetensors (images); writes DIR/expected.safetensors (cam).
"""
import os
import sys

import geffnet
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

d, n_test, mel, size, out_dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enet = geffnet.create_model("efficientnet_b0", pretrained=False)
        self.myfc = nn.Linear(self.enet.classifier.in_features, out_dim)
        self.enet.classifier = nn.Identity()

    def forward(self, x):
        return self.myfc(self.enet(x))


def get_trans(img, I):
    if I >= 4:
        img = img.transpose(2, 3)
    if I % 4 == 1:
        return img.flip(2)
    if I % 4 == 2:
        return img.flip(3)
    if I % 4 == 3:
        return img.flip(2).flip(3)
    return img


def untrans(m, I):
    if I % 4 == 1:
        m = m.flip(2)
    elif I % 4 == 2:
        m = m.flip(3)
    elif I % 4 == 3:
        m = m.flip(3).flip(2)
    if I >= 4:
        m = m.transpose(2, 3)
    return m


net = Net()
net.load_state_dict(torch.load(os.path.join(d, "model.pth")), strict=True)
net.eval()
feats = {}
net.enet.act2.register_forward_hook(lambda mod, inp, out: feats.__setitem__("a", out))
x = load_file(os.path.join(d, "inputs.safetensors"))["images"].clone().requires_grad_(True)
total = 0
for I in range(n_test):
    logits = net(get_trans(x, I))
    a = feats["a"]
    (g,) = torch.autograd.grad(logits[:, mel].sum(), a)
    cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(size, size), mode="bilinear", align_corners=False)
    total = total + untrans(cam, I).detach()
save_file({"cam": (total / n_test)[:, 0].contiguous()}, os.path.join(d, "expected.safetensors"))
