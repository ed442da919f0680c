// cimage.h: plain C view of libjpeg-turbo, libpng and OpenCV core/imgproc.
// Images are packed RGB8 rows (height x width x 3, no padding). Every function that can fail returns 0 on
// success and -1 on failure; ci_last_error() then holds the reason (per thread).
#ifndef CIMAGE_H
#define CIMAGE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
const char *ci_opencv_version(void);
int ci_libjpeg_turbo_version(void);

/// The message of the last failure on this thread.
const char *ci_last_error(void);
/// OpenCV's own worker threads (cv::setNumThreads); the loader sets 1 because it parallelises over samples.
void ci_set_opencv_threads(int n);
void ci_free(void *p);

// ---- codecs (codec.cpp) ----
enum { CI_FORMAT_JPEG = 1, CI_FORMAT_PNG = 2 };
/// Reads the header and plans the decode: the output size is the stored size, reduced by the largest power of
/// two (1/2, 1/4, 1/8, applied in libjpeg-turbo's DCT) that keeps both sides >= min_side (0: full size).
/// PNG is never reduced. *format receives CI_FORMAT_*.
int ci_decode_plan(const uint8_t *data, size_t size, int min_side, int *format, int *stored_w, int *stored_h,
                   int *out_w, int *out_h);
/// Decodes into dst (out_w * out_h * 3 bytes, the size ci_decode_plan gave). Gray and CMYK become RGB.
int ci_decode(const uint8_t *data, size_t size, int out_w, int out_h, uint8_t *dst);
/// Encodes RGB8 to a malloc'ed buffer (free with ci_free).
int ci_jpeg_compress(const uint8_t *rgb, int w, int h, int quality, uint8_t **out, size_t *out_size);
int ci_png_compress(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_size);

// ---- pixel operations (augment.cpp); the calls albumentations 0.4.6 makes ----
/// Flips/transposes in one pass then applies lut to every byte (dihedral code bit0 = transpose,
/// bit1 = vertical flip, bit2 = horizontal flip, applied in that order); lut may be NULL.
int ci_dihedral_lut(const uint8_t *src, int h, int w, int code, const uint8_t *lut, uint8_t *dst);
int ci_lut(const uint8_t *src, int h, int w, const uint8_t *lut, uint8_t *dst);
/// The motion blur kernel: cv::line from (xs, ys) to (xe, ye) on a ksize x ksize grid, normalised to sum 1.
int ci_motion_kernel(int ksize, int xs, int ys, int xe, int ye, float *kernel);
int ci_filter2d(const uint8_t *src, int h, int w, const float *kernel, int ksize, uint8_t *dst);
int ci_median_blur(const uint8_t *src, int h, int w, int ksize, uint8_t *dst);
int ci_gaussian_blur(const uint8_t *src, int h, int w, int ksize, uint8_t *dst);
/// n samples from cv::RNG(seed): normal (mean a, std b) or uniform [a, b). The bulk noise of GaussNoise and
/// ElasticTransform comes from here, seeded by a value the per-sample Swift generator draws.
int ci_rng_fill(uint64_t seed, int normal, double a, double b, float *out, size_t n);
/// dst = trunc(clip(src + noise, 0, 255)) with noise h*w*3 floats (albumentations gauss_noise on uint8).
int ci_gauss_noise(const uint8_t *src, int h, int w, const float *noise, uint8_t *dst);
int ci_optical_distortion(const uint8_t *src, int h, int w, double k, double dx, double dy, uint8_t *dst);
/// xsteps/ysteps hold num_steps + 1 factors each.
int ci_grid_distortion(const uint8_t *src, int h, int w, int num_steps, const double *xsteps, const double *ysteps,
                       uint8_t *dst);
/// Affine from 3 jittered points (jitter: 6 floats), then a remap by alpha * gaussian_filter(2u - 1, sigma) with
/// scipy's kernel (radius int(4 sigma + 0.5), mode reflect); noise_x/noise_y are h*w uniforms in [0,1).
int ci_elastic(const uint8_t *src, int h, int w, double alpha, double sigma, const float *jitter,
               const float *noise_x, const float *noise_y, uint8_t *dst);
int ci_clahe(const uint8_t *src, int h, int w, double clip_limit, int tiles, uint8_t *dst);
int ci_hsv_shift(const uint8_t *src, int h, int w, double hue, double sat, double val, uint8_t *dst);
/// border: 0 = constant black, 4 = reflect-101 (OpenCV's codes).
int ci_shift_scale_rotate(const uint8_t *src, int h, int w, double angle, double scale, double dx, double dy,
                          int border, uint8_t *dst);
int ci_resize(const uint8_t *src, int h, int w, int out_h, int out_w, uint8_t *dst);
/// Test hook (labcheck.cpp): our 8-bit Lab conversions against cv::cvtColor over all 2^24 inputs each way, and
/// ci_clahe against albumentations' OpenCV call sequence. Returns the number of comparisons that differed (0: all
/// bit-exact); report receives one line per comparison.
int ci_lab_check(char *report, size_t report_size);
/// Test hook (rngcheck.cpp): ci_rng_fill against cv::RNG::fill for many seeds (the generator's edge states
/// included), lengths and both distributions. Returns the number of fills that differed; report as above.
int ci_rng_check(char *report, size_t report_size);
/// albumentations Normalize + HWC -> CHW: dst[c][y][x] = (src - mean*255) * (1 / (std*255)) in float32.
int ci_normalize_chw(const uint8_t *src, int h, int w, const float *mean, const float *std, float *dst);
#ifdef __cplusplus
}
#endif
#endif
