"""state_dict keys and shapes of every backbone the registry offers, built with the original
libraries (classifier removed as the original's models.py removes it). Writes JSON to argv[1]:
{name: {"keys": [[key, [shape...]], ...] in state_dict order, "bn_eps": [eps...]}}."""
import json
import sys

import torch
import torch.nn as nn

names = sys.argv[2].split(",")
out = {}
for name in names:
    torch.manual_seed(0)
    if name == "resnest101":
        from resnest.torch import resnest101
        m = resnest101(pretrained=False)
        m.fc = nn.Identity()
    elif name == "seresnext101":
        from pretrainedmodels import se_resnext101_32x4d
        m = se_resnext101_32x4d(num_classes=1000, pretrained=None)
        m.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        m.last_linear = nn.Identity()
    else:
        import geffnet
        m = geffnet.create_model(name, pretrained=False)
        m.classifier = nn.Identity()
    eps = sorted({mod.eps for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)})
    out[name] = {"keys": [[k, list(v.shape)] for k, v in m.state_dict().items()], "bn_eps": eps}
    del m
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
