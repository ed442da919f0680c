// cimage.h: plain C view of libjpeg-turbo, libpng and OpenCV core/imgproc (filled in by the images issue).
#ifndef CIMAGE_H
#define CIMAGE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
const char *ci_opencv_version(void);
int ci_libjpeg_turbo_version(void);
#ifdef __cplusplus
}
#endif
#endif
