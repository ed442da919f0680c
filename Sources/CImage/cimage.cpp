#include "cimage.h"
#include "internal.h"
#include <opencv2/core.hpp>
#include <turbojpeg.h>
#include <jconfig.h>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cimage {
thread_local std::string last_error;
int fail(const std::string &message) {
  last_error = message;
  return -1;
}
}  // namespace cimage

extern "C" {
const char *ci_opencv_version(void) { return CV_VERSION; }
int ci_libjpeg_turbo_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
  return LIBJPEG_TURBO_VERSION_NUMBER;
#else
  return 0;
#endif
}
const char *ci_last_error(void) { return cimage::last_error.c_str(); }
void ci_set_opencv_threads(int n) { cv::setNumThreads(n); }
void ci_free(void *p) { std::free(p); }
int ci_malloc_keep_freed(int64_t mmap_threshold, int64_t trim_threshold) {
#if defined(__GLIBC__)
  // A threshold <= 0 means never mmap: activations above glibc's 32 MiB cap stay in the heap too.
  if (mmap_threshold <= 0) {
    if (mallopt(M_MMAP_MAX, 0) != 1) return cimage::fail("mallopt(M_MMAP_MAX) refused");
  } else if (mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) != 1) {
    return cimage::fail("mallopt(M_MMAP_THRESHOLD) refused");
  }
  if (mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) != 1) return cimage::fail("mallopt(M_TRIM_THRESHOLD) refused");
  return 0;
#else
  return cimage::fail("not glibc");
#endif
}
}
