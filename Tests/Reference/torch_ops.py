"""Golden values for the engine's op tests, computed by python torch 2.11 at test time.

usage: torch_ops.py OUT_DIR
Writes OUT_DIR/ops.safetensors (inputs and expected outputs) and OUT_DIR/state.pth (a state dict
saved with torch.save, with a `module.` prefix, as DataParallel checkpoints have).
"""
import sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

out = sys.argv[1]
torch.manual_seed(1234)
t = {}

# conv2d: groups, stride, dilation, asymmetric padding (F.pad then conv)
x = torch.randn(2, 6, 11, 9)
w = torch.randn(9, 2, 3, 3)
b = torch.randn(9)
t["conv.x"], t["conv.w"], t["conv.b"] = x, w, b
t["conv.out_g3_s2_p1"] = F.conv2d(x, w, b, stride=2, padding=1, groups=3)
t["conv.out_g3_s1_d2"] = F.conv2d(x, w, b, stride=1, padding=2, dilation=2, groups=3)
t["conv.out_asym"] = F.conv2d(F.pad(x, (0, 1, 1, 2)), w, b, stride=(2, 2), groups=3)
wd = torch.randn(6, 1, 5, 5)  # depthwise
t["conv.wd"] = wd
t["conv.out_depthwise_s2"] = F.conv2d(x, wd, None, stride=2, padding=2, groups=6)

# batch norm, train (updates running stats) then eval
bn = torch.nn.BatchNorm2d(6, eps=1e-3, momentum=0.1)
with torch.no_grad():
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.uniform_(-0.5, 0.5)
t["bn.weight"], t["bn.bias"] = bn.weight.detach().clone(), bn.bias.detach().clone()
bn.train()
t["bn.out_train"] = bn(x).detach()
t["bn.running_mean"] = bn.running_mean.clone()
t["bn.running_var"] = bn.running_var.clone()
bn.eval()
t["bn.out_eval"] = bn(x).detach()

# softmax, log-softmax, cross-entropy
logits = torch.randn(7, 9) * 3
target = torch.randint(0, 9, (7,))
t["ce.logits"], t["ce.target"] = logits, target
t["ce.softmax"] = logits.softmax(1)
t["ce.log_softmax"] = logits.log_softmax(1)
t["ce.loss_mean"] = F.cross_entropy(logits, target).reshape(1)
t["ce.loss_none"] = F.cross_entropy(logits, target, reduction="none")

# pooling
t["pool.max_k3_s2_p1"] = F.max_pool2d(x, 3, 2, 1)
t["pool.avg_k3_s2_p1_ceil"] = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
t["pool.adaptive_1"] = F.adaptive_avg_pool2d(x, 1)

save_file({k: v.contiguous() for k, v in t.items()}, f"{out}/ops.safetensors")

sd = {
    "module.layer.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3),
    "module.layer.bias": torch.tensor([0.5, -0.5]),
    "module.bn.running_mean": torch.tensor([1.0, 2.0]),
    "module.bn.num_batches_tracked": torch.tensor(7),
}
torch.save(sd, f"{out}/state.pth")
