"""Grad-CAM of the melanoma logit at the last feature map (geffnet's act2), with torch autograd, for the
Swift GradCAM test: per TTA variant (get_trans) ReLU(sum_k mean_ij(dS/dA_k) A_k), bilinear to SIZE,
flipped/transposed back, averaged over variants.

Usage: gradcam_ref.py DIR N_TEST MEL_IDX SIZE OUT_DIM N_META D0,D1
Reads DIR/model.safetensors (enet.*, meta.*, myfc.*; models_golden.py writes one with realistic BN statistics)
and DIR/inputs.safetensors (images, meta); writes DIR/expected.safetensors (cam).
"""
import os
import sys

import geffnet
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from original_tta import get_trans

d, n_test, mel, size, out_dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
n_meta, dims = int(sys.argv[6]), [int(v) for v in sys.argv[7].split(",")]
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enet = geffnet.create_model("efficientnet_b0", pretrained=False)
        in_ch = self.enet.classifier.in_features
        self.enet.classifier = nn.Identity()
        if n_meta > 0:
            self.meta = nn.Sequential(nn.Linear(n_meta, dims[0]), nn.BatchNorm1d(dims[0]), nn.SiLU(), nn.Dropout(0.3),
                                      nn.Linear(dims[0], dims[1]), nn.BatchNorm1d(dims[1]), nn.SiLU())
            in_ch += dims[1]
        self.myfc = nn.Linear(in_ch, out_dim)

    def forward(self, x, meta):
        h = self.enet(x)
        if n_meta > 0:
            h = torch.cat([h, self.meta(meta)], 1)
        return self.myfc(h)



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
net.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
net.eval()
feats = {}
net.enet.act2.register_forward_hook(lambda mod, inp, out: feats.__setitem__("a", out))
inputs = load_file(os.path.join(d, "inputs.safetensors"))
x = inputs["images"].clone().requires_grad_(True)
meta = inputs.get("meta")
total = 0
for I in range(n_test):
    logits = net(get_trans(x, I), meta)
    a = feats["a"]
    (g,) = torch.autograd.grad(logits[:, mel].sum(), a)
    cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(size, size), mode="bilinear", align_corners=False)
    total = total + untrans(cam, I).detach()
save_file({"cam": (total / n_test)[:, 0].contiguous()}, os.path.join(d, "expected.safetensors"))
