#include "cimage.h"
#include "internal.h"
#include <opencv2/core.hpp>
#include <turbojpeg.h>
#include <jconfig.h>
#include <cstdlib>

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
}
