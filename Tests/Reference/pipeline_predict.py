"""predict.py's fold x TTA probability average and evaluate.py's val_epoch(n_test=8), in torch, on a
tiny model whose weights the Swift test saved.

Usage: pipeline_predict.py DIR
Reads DIR/inputs.safetensors (images, meta, targets) and DIR/model{0,1}.pth; writes
DIR/expected.safetensors with pred_probs (both models, 8 TTA), val_probs and val_logits (model 0,
8 TTA) and val_loss.
"""
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file
from original_tta import get_trans

d = sys.argv[1]
torch.set_num_threads(1)


class TinyNet(nn.Module):
    # Same layers and state_dict keys as TinyNet in PipelineTrainerTests.swift.
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.meta = nn.Linear(2, 4)
        self.drop = nn.Dropout(0.5)
        self.myfc = nn.Linear(12, 3)

    def forward(self, x, meta):
        h = nn.functional.silu(self.bn(self.conv(x))).mean((2, 3))
        h = torch.cat([h, nn.functional.silu(self.meta(meta))], 1)
        return self.myfc(self.drop(h))


inputs = load_file(os.path.join(d, "inputs.safetensors"))
models = []
for k in range(2):
    m = TinyNet()
    m.load_state_dict(torch.load(os.path.join(d, f"model{k}.pth")), strict=True)
    m.eval()
    models.append(m)

bs, n_test, out_dim = 16, 8, 3
criterion = nn.CrossEntropyLoss()
PRED, LOGITS, PROBS, val_loss = [], [], [], []
with torch.no_grad():
    for s in range(0, inputs["images"].shape[0], bs):
        data, meta, target = (inputs[k][s:s + bs] for k in ("images", "meta", "targets"))
        # predict.py
        probs = torch.zeros((data.shape[0], out_dim))
        for model in models:
            for I in range(n_test):
                l = model(get_trans(data, I), meta)
                probs += l.softmax(1)
        probs /= n_test
        probs /= len(models)
        PRED.append(probs)
        # evaluate.py val_epoch(n_test=8) with the first model
        logits = torch.zeros((data.shape[0], out_dim))
        probs = torch.zeros((data.shape[0], out_dim))
        for I in range(n_test):
            l = models[0](get_trans(data, I), meta)
            logits += l
            probs += l.softmax(1)
        logits /= n_test
        probs /= n_test
        LOGITS.append(logits)
        PROBS.append(probs)
        val_loss.append(criterion(logits, target).item())

save_file({"pred_probs": torch.cat(PRED).contiguous(), "val_probs": torch.cat(PROBS).contiguous(),
           "val_logits": torch.cat(LOGITS).contiguous(),
           "val_loss": torch.tensor([sum(val_loss) / len(val_loss)], dtype=torch.float64)},
          os.path.join(d, "expected.safetensors"))
