# Prints the tensors of a .safetensors file as JSON {name: flat list of values} (CLITests read
# checkpoints with it: the CLI test target does not link libtorch).
import json
import sys

from safetensors.numpy import load_file

print(json.dumps({k: v.reshape(-1).tolist() for k, v in load_file(sys.argv[1]).items()}))
