// ci_rng_check: ci_rng_fill (rng.cpp) against the linked OpenCV's cv::RNG::fill, every number compared.
#include "cimage.h"
#include <opencv2/core.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" int ci_rng_check(char *report, size_t report_size) {
  // Seeds: small ones, the states around the generator's modulus m = a 2^32 - 1 (above it the step is not a
  // multiplication mod m; m itself is a fixed point), the largest, and 40 drawn ones. Lengths around the 4096
  // numbers rng.cpp computes at a time, and image sizes.
  const uint64_t m = (4164903690ull << 32) - 1;
  std::vector<uint64_t> seeds = {1, 2, 3, 0xffffffffull, m - 1, m, m + 1, ~0ull, ~0ull - 5, 1ull << 63, 123456789};
  cv::RNG draw(99);
  for (int i = 0; i < 40; i++) seeds.push_back((uint64_t)(unsigned)draw << 32 | (unsigned)draw);
  const size_t lengths[] = {1, 7, 1000, 4095, 4096, 4097, 8191, 65537, 262144, 786432};
  const double params[3][2] = {{0, 1}, {0, 12.5}, {0.25, 0.37}};  // uniform [0, 1); normal sigma 12.5; normal
  int failures = 0, fills = 0;
  size_t numbers = 0;
  std::string text;
  for (size_t si = 0; si < seeds.size(); si++)
    for (size_t n : lengths)
      for (int mode = 0; mode < 3; mode++) {
        if (n > 70000 && si % 5 != 0) continue;  // the long fills for a fifth of the seeds
        std::vector<float> theirs(n), ours(n);
        cv::Mat mat(1, (int)n, CV_32F, theirs.data());
        cv::RNG rng(seeds[si]);
        rng.fill(mat, mode ? cv::RNG::NORMAL : cv::RNG::UNIFORM, params[mode][0], params[mode][1]);
        ci_rng_fill(seeds[si], mode != 0, params[mode][0], params[mode][1], ours.data(), n);
        fills++;
        numbers += n;
        if (std::memcmp(theirs.data(), ours.data(), n * sizeof(float)) != 0) {
          size_t i = 0;
          while (std::memcmp(&theirs[i], &ours[i], sizeof(float)) == 0) i++;
          char line[200];
          std::snprintf(line, sizeof line, "seed %llu, %zu numbers, %s: first difference at %zu: %.9g (OpenCV) vs %.9g\n",
                        (unsigned long long)seeds[si], n, mode ? "normal" : "uniform", i, theirs[i], ours[i]);
          text += line;
          failures++;
        }
      }
  char line[160];
  std::snprintf(line, sizeof line, "%d of %d fills (%zu numbers) differ from cv::RNG::fill\n", failures, fills, numbers);
  text += line;
  if (report && report_size) std::snprintf(report, report_size, "%s", text.c_str());
  return failures;
}
