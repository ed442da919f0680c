"""Three torch.optim.Adam steps on a small Linear-BN-SiLU-Linear net, for the NN parity test.

usage: nn_adam.py OUT_DIR   ->  OUT_DIR/adam.safetensors with init.*, x, y, step{1,2,3}.*, loss{1,2,3}
"""
import sys
import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.manual_seed(5)
net = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.SiLU(), nn.Linear(8, 3))
x = torch.randn(16, 5)
y = torch.randint(0, 3, (16,))
out = {f"init.{k}": v.detach().clone() for k, v in net.state_dict().items()}
out["x"], out["y"] = x, y
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
net.train()
for step in (1, 2, 3):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    out[f"loss{step}"] = loss.detach().reshape(1)
    for k, v in net.state_dict().items():
        out[f"step{step}.{k}"] = v.detach().clone()
save_file({k: v.contiguous() for k, v in out.items()}, f"{sys.argv[1]}/adam.safetensors")
