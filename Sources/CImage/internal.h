// Shared helpers of the CImage implementation files (not part of the C interface).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace cv {
class Mat;
}

namespace cimage {
extern thread_local std::string last_error;
/// Records message as this thread's last error and returns -1.
int fail(const std::string &message);

/// ElasticTransform's remap maps (elastic.cpp) in remap's fixed-point form: xy CV_16SC2, frac CV_16UC1.
void elastic_maps(const float *noise_x, const float *noise_y, int h, int w, double alpha, double sigma, cv::Mat &xy,
                  cv::Mat &frac);

/// cv::RNG(state).fill of n float32: N(a, b) (mean, standard deviation) or U[a, b) (rng.cpp).
void rng_fill(uint64_t state, bool normal, double a, double b, float *out, size_t n);
}  // namespace cimage

// Runs body; any C++ exception (cv::Exception, std::bad_alloc) becomes -1 with its message.
#define CI_TRY(...)                                         \
  try {                                                     \
    __VA_ARGS__;                                            \
    return 0;                                               \
  } catch (const std::exception &e) {                       \
    return cimage::fail(e.what());                          \
  } catch (...) {                                           \
    return cimage::fail("unknown C++ exception in CImage"); \
  }
