"""Golden fixtures for the Models tests, made with the original libraries at test time.

Builds a backbone with geffnet / resnest / pretrainedmodels (random weights, non-trivial BN
statistics), wraps it in the original's melanoma head (models.py, spec section 3.2), and writes
to OUT:
  model.safetensors     the melanoma model's state_dict (enet.*, meta.*, myfc.*)
  backbone.pth          (--backbone-pth) the library's own state_dict, classifier included, as
                        an ImageNet checkpoint would be
  io.safetensors        input, meta, features (pooled [N, C]), logits, tap.<layer> outputs
  train.safetensors     (--train) target, loss, train-mode logits and the state after one Adam step
"""
import argparse
import os
import re

import torch
import torch.nn as nn
from safetensors.torch import save_file

p = argparse.ArgumentParser()
p.add_argument("--arch", required=True)
p.add_argument("--out", required=True)
p.add_argument("--size", type=int, default=64)
p.add_argument("--batch", type=int, default=2)
p.add_argument("--out-dim", type=int, default=9)
p.add_argument("--n-meta", type=int, default=0)
p.add_argument("--n-meta-dim", default="512,128")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--backbone-pth", action="store_true")
p.add_argument("--train", action="store_true", help="also one Adam step in train mode, dropout off")
p.add_argument("--lr", type=float, default=1e-3)
args = p.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))


# ---- the original's head (models.py), written out as the spec gives it --------------------------
class SwishImplementation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i * torch.sigmoid(i)
        ctx.save_for_backward(i)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        i = ctx.saved_tensors[0]
        sigmoid_i = torch.sigmoid(i)
        return grad_output * (sigmoid_i * (1 + i * (1 - sigmoid_i)))


class Swish_Module(nn.Module):
    def forward(self, x):
        return SwishImplementation.apply(x)


class Melanoma(nn.Module):
    def __init__(self, enet, in_ch, out_dim, n_meta_features=0, n_meta_dim=(512, 128), p_head=0.5, p_meta=0.3):
        super().__init__()
        self.n_meta_features = n_meta_features
        self.enet = enet
        self.dropouts = nn.ModuleList([nn.Dropout(p_head) for _ in range(5)])
        if n_meta_features > 0:
            self.meta = nn.Sequential(
                nn.Linear(n_meta_features, n_meta_dim[0]),
                nn.BatchNorm1d(n_meta_dim[0]),
                Swish_Module(),
                nn.Dropout(p=p_meta),
                nn.Linear(n_meta_dim[0], n_meta_dim[1]),
                nn.BatchNorm1d(n_meta_dim[1]),
                Swish_Module(),
            )
            in_ch += n_meta_dim[1]
        self.myfc = nn.Linear(in_ch, out_dim)

    def extract(self, x):
        return self.enet(x)

    def forward(self, x, x_meta=None):
        x = self.extract(x).squeeze(-1).squeeze(-1)
        if self.n_meta_features > 0:
            x_meta = self.meta(x_meta)
            x = torch.cat((x, x_meta), dim=1)
        for i, dropout in enumerate(self.dropouts):
            if i == 0:
                out = self.myfc(dropout(x))
            else:
                out += self.myfc(dropout(x))
        out /= len(self.dropouts)
        return out


# ---- backbone with its original library ---------------------------------------------------------
def build(arch):
    """Returns (backbone, feature dim, names of the modules whose outputs are tapped)."""
    if arch == "resnest101":
        from resnest.torch import resnest101
        m = resnest101(pretrained=False)
        taps = ["maxpool"] + [n for n, _ in m.named_modules() if re.fullmatch(r"layer\d\.\d+", n)]
        return m, m.fc.in_features, taps
    if arch == "seresnext101":
        from pretrainedmodels import se_resnext101_32x4d
        m = se_resnext101_32x4d(num_classes=1000, pretrained=None)
        m.avg_pool = nn.AdaptiveAvgPool2d((1, 1))  # as the original; the fixed 7x7 pool needs 224px
        taps = ["layer0"] + [n for n, _ in m.named_modules() if re.fullmatch(r"layer\d\.\d+", n)]
        return m, m.last_linear.in_features, taps
    import geffnet
    m = geffnet.create_model(arch, pretrained=False)
    taps = ["act1"] + [n for n, _ in m.named_modules() if re.fullmatch(r"blocks\.\d+\.\d+", n)] + ["act2"]
    return m, m.classifier.in_features, taps


def strip_classifier(arch, m):
    if arch == "resnest101":
        m.fc = nn.Identity()
    elif arch == "seresnext101":
        m.last_linear = nn.Identity()
    else:
        m.classifier = nn.Identity()


@torch.no_grad()
def randomize_affine(model):
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.normal_(0, 0.2)


@torch.no_grad()
def randomize_norms(model, size):
    """BN affine away from 1/0 and running statistics from real activations (cumulative average of
    a few train-mode passes), so eval-mode BN is non-trivial but keeps activations in range."""
    randomize_affine(model)
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            mod.reset_running_stats()
            mod.momentum = None
    model.train()
    for _ in range(3):
        model(torch.randn(16, 3, size, size))
    # Perturbing the statistics further (even running_var * U(0.8, 1.2)) compounds over a
    # 101-layer net into features of 1e4, where float32 cannot hold 1e-4 absolute; real stats keep
    # the features O(1), as pretrained nets have them.
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            mod.momentum = 0.1
    model.eval()


enet, feat_dim, tap_names = build(args.arch)
randomize_norms(enet, args.size)
if args.backbone_pth:
    torch.save(enet.state_dict(), os.path.join(args.out, "backbone.pth"))
strip_classifier(args.arch, enet)
dims = [int(v) for v in args.n_meta_dim.split(",")]
p_off = 0.0 if args.train else None
model = Melanoma(enet, feat_dim, args.out_dim, args.n_meta, dims,
                 p_head=0.5 if p_off is None else p_off, p_meta=0.3 if p_off is None else p_off)
if args.n_meta > 0:
    randomize_affine(model.meta)
    with torch.no_grad():
        for bn in (model.meta[1], model.meta[5]):
            bn.running_mean.normal_(0, 0.3)
            bn.running_var.uniform_(0.5, 2.0)
            bn.num_batches_tracked.fill_(7)
model.eval()
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(args.out, "model.safetensors"))

x = torch.randn(args.batch, 3, args.size, args.size)
meta = torch.randn(args.batch, args.n_meta) if args.n_meta > 0 else None
outputs = {}
modules = dict(enet.named_modules())
hooks = []
for name in tap_names:
    def hook(_m, _inp, out, name=name):
        outputs["tap." + name] = out.detach().clone()
    hooks.append(modules[name].register_forward_hook(hook))
with torch.no_grad():
    feats = model.extract(x).squeeze(-1).squeeze(-1)
    for h in hooks:
        h.remove()
    logits = model(x, meta)
io = {"input": x, "features": feats, "logits": logits, **outputs}
if meta is not None:
    io["meta"] = meta
save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(args.out, "io.safetensors"))

if args.train:
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    target = torch.randint(0, args.out_dim, (args.batch,))
    opt.zero_grad()
    out = model(x, meta)
    loss = nn.CrossEntropyLoss()(out, target)
    loss.backward()
    opt.step()
    tr = {"target": target, "loss": loss.detach().reshape(1), "logits": out.detach()}
    for k, v in model.state_dict().items():
        tr["after." + k] = v.detach().clone()
    for k, v in model.named_parameters():
        if v.grad is not None:
            tr["grad." + k] = v.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in tr.items()}, os.path.join(args.out, "train.safetensors"))
print(f"{args.arch}: feat {feat_dim}, {len(tap_names)} taps, params {sum(v.numel() for v in model.parameters())}")
