"""Loads a .pth written by our engine with python torch and prints `name shape sum` per tensor."""
import sys
import torch

sd = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
for k, v in sd.items():
    print(k, list(v.shape), f"{v.double().sum().item():.6f}", str(v.dtype))
