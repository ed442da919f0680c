"""Checkpoints as the original writes them, for the Models checkpoint tests.

write OUT_DIR: a melanoma efficientnet_b0 model (9 classes, no meta) wrapped in nn.DataParallel and
saved with torch.save(model.state_dict()) (an OrderedDict with `module.` keys) -> dp.pth, plus
the same weights without the prefix as reference.safetensors.
check FILE.safetensors REF.safetensors: prints "ok" when both hold the same keys and tensors."""
import sys

import geffnet
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

if sys.argv[1] == "write":
    torch.manual_seed(0)
    enet = geffnet.create_model("efficientnet_b0", pretrained=False)
    enet.classifier = nn.Identity()
    model = nn.Module()
    model.enet = enet
    model.myfc = nn.Linear(1280, 9)
    torch.save(nn.DataParallel(model).state_dict(), f"{sys.argv[2]}/dp.pth")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{sys.argv[2]}/reference.safetensors")
else:
    a, b = load_file(sys.argv[2]), load_file(sys.argv[3])
    assert set(a) == set(b), f"keys differ: {sorted(set(a) ^ set(b))[:5]}"
    bad = [k for k in a if not torch.equal(a[k], b[k])]
    assert not bad, f"tensors differ: {bad[:5]}"
    print("ok")
