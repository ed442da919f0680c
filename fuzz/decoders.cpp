// libFuzzer target: the CImage decoders as Image.init(data:) drives them (plan, the decoded-pixel cap, decode),
// at full size and with DCT reduction. Built with ASan and UBSan by scripts/fuzz.sh.
#include "cimage.h"
#include <cstdint>
#include <cstdlib>
#include <vector>

// Image.maxDecodedPixels in Sources/Imaging/Image.swift.
static const long long kMaxPixels = 1LL << 26;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int min_side : {0, 64}) {
    int fmt = 0, sw = 0, sh = 0, ow = 0, oh = 0;
    if (ci_decode_plan(data, size, min_side, &fmt, &sw, &sh, &ow, &oh) != 0) continue;
    if (ow <= 0 || oh <= 0 || (long long)ow * oh > kMaxPixels) continue;
    // Fuzzed headers claim big sizes cheaply; a smaller bound keeps the run fast without hiding bugs in sizes.
    if ((long long)ow * oh > (1LL << 22)) continue;
    std::vector<uint8_t> out((size_t)ow * oh * 3);
    ci_decode(data, size, ow, oh, out.data());
  }
  return 0;
}
