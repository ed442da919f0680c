#include "cimage.h"
#include <opencv2/core.hpp>
#include <turbojpeg.h>
#include <jconfig.h>

extern "C" {
const char *ci_opencv_version(void) { return CV_VERSION; }
int ci_libjpeg_turbo_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
  return LIBJPEG_TURBO_VERSION_NUMBER;
#else
  return 0;
#endif
}
}
