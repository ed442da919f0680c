"""Python side of the model benchmark (bench/models.sh): the original's Effnet_Melanoma head on a
geffnet backbone, random data, images/s for an inference forward (eval, no_grad) or a training
step (forward, CE loss, backward, Adam). Prints one JSON line per (arch, mode), with the same
fields as `melanoma bench models`."""
import argparse
import json
import time

import geffnet
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--arch", default="efficientnet_b0,efficientnet_b3")
p.add_argument("--mode", default="forward,train")
p.add_argument("--batch", type=int, default=8)
p.add_argument("--size", type=int, default=256)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--iters", type=int, default=5)
p.add_argument("--out-dim", type=int, default=9)
p.add_argument("--channels-last", action="store_true")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--adam", choices=["fused", "default"], default="fused",
               help="fused: the same kernel as ours; default: torch's CPU default (per-tensor loop), as train.py")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


class Effnet_Melanoma(nn.Module):  # models.py without metadata
    def __init__(self, enet_type, out_dim):
        super().__init__()
        self.enet = geffnet.create_model(enet_type, pretrained=False)
        self.dropouts = nn.ModuleList([nn.Dropout(0.5) for _ in range(5)])
        in_ch = self.enet.classifier.in_features
        self.myfc = nn.Linear(in_ch, out_dim)
        self.enet.classifier = nn.Identity()

    def forward(self, x):
        x = self.enet(x).squeeze(-1).squeeze(-1)
        for i, dropout in enumerate(self.dropouts):
            if i == 0:
                out = self.myfc(dropout(x))
            else:
                out += self.myfc(dropout(x))
        out /= len(self.dropouts)
        return out


for arch in args.arch.split(","):
    for mode in args.mode.split(","):
        model = Effnet_Melanoma(arch, args.out_dim)
        x = torch.randn(args.batch, 3, args.size, args.size)
        if args.channels_last:
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        target = torch.randint(0, args.out_dim, (args.batch,))
        if mode == "forward":
            model.eval()

            def step():
                with torch.no_grad():
                    model(x)
        else:
            model.train()
            opt = torch.optim.Adam(model.parameters(), lr=3e-5, fused=args.adam == "fused" or None)
            crit = nn.CrossEntropyLoss()

            def step():
                opt.zero_grad()
                loss = crit(model(x), target)
                loss.backward()
                opt.step()
        times = []
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            step()
            dt = time.perf_counter() - t0
            if i >= args.warmup:
                times.append(dt)
        median = sorted(times)[len(times) // 2]
        print(json.dumps({
            "impl": "python", "arch": arch, "mode": mode, "batch": args.batch, "size": args.size,
            "threads": args.threads, "channels_last": args.channels_last, "adam": args.adam, "median_s": median,
            "images_per_s": args.batch / median, "times_s": times,
        }, sort_keys=True), flush=True)
