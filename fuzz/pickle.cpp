// libFuzzer target: the torch.save reader (the zip container, our OrderedDict/BUILD pickle rewrite and
// libtorch's unpickler) through ct_load_pickle, which takes a path: each input is written to a file first.
#include "ctorch.h"
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = "/tmp/melanoma-fuzz-pickle-" + std::to_string(getpid()) + ".pth";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  ct_error err = nullptr;
  ct_load_pickle(path.c_str(), [](void *, const char *, ct_tensor t) { ct_free(t); }, nullptr, &err);
  if (err) ct_free_error(err);
  return 0;
}
