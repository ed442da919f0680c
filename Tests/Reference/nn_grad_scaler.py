"""torch.amp.GradScaler's decisions on a tiny model: a linear layer trained with Adam on fixed data, where the
loss is multiplied by inf at the steps listed, growth_interval 3. Prints one JSON line per step: the scale
after update(), whether the optimizer stepped, and at the end the final weights.

usage: nn_grad_scaler.py STEPS INF_STEPS(comma) INIT_SCALE
"""
import json
import sys

import torch

steps, inf_steps, init = int(sys.argv[1]), {int(s) for s in sys.argv[2].split(",") if s}, float(sys.argv[3])
torch.manual_seed(0)
x = torch.arange(24, dtype=torch.float32).reshape(8, 3) / 16 - 0.75  # exact in binary, as the Swift side
y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
w = torch.nn.Parameter(torch.arange(9, dtype=torch.float32).reshape(3, 3) / 8 - 0.5)
opt = torch.optim.Adam([w], lr=1e-2)
scaler = torch.amp.GradScaler("cpu", init_scale=init, growth_interval=3)
for k in range(steps):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(x @ w.t(), y)
    if k in inf_steps:
        loss = loss * float("inf")
    before = w.detach().clone()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    print(json.dumps({"scale": scaler.get_scale(), "stepped": not torch.equal(before, w.detach())}))
print(json.dumps({"weights": w.detach().flatten().tolist()}))
