// 8-bit sRGB <-> CIE Lab with the bits of OpenCV 4.6's cv::cvtColor (COLOR_RGB2Lab / COLOR_Lab2RGB on CV_8UC3:
// imgproc/src/color_lab.cpp, RGB2Lab_b and Lab2RGBinteger), shaped for CLAHE: the forward pass also writes the
// L plane CLAHE reads, and the back pass takes L from a separate plane (CLAHE's output), so no channel is copied.
// Exactness: Tests/ImagingTests/BitExactTests.swift runs ci_lab_check (labcheck.cpp) against cv::cvtColor over all
// 2^24 inputs of each direction.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cimage {
/// color_lab.cpp's integer tables (lab_tables.cpp), some folded with the constants that multiply them.
struct LabTables {
  static constexpr int kCbrt = 3072;      // LAB_CBRT_TAB_SIZE_B: cube root of X, Y, Z in 1/2040
  static constexpr int kXZ = 36864;       // LAB_BASE * 9 / 4 entries of abToXZ_b ...
  static constexpr int kXZMin = -8145;    // ... from minABvalue
  static constexpr int kInvGamma = 4096;  // INV_GAMMA_TAB_SIZE

  // Forward. xyz[c][v][k]: channel c (R, G, B) of value v through the sRGB gamma (255 * 8 scale) times row k of
  // the RGB -> XYZ matrix over the white point (1/4096); the R entries carry the + 2048 that rounds the sum.
  int32_t xyz[3][256][4];
  int32_t gamma[256];     // sRGBGammaTab_b, and ...
  int32_t xyz_coeff[9];   // ... the matrix (row X, Y, Z by column R, G, B), for the vector path
  uint16_t cbrt[kCbrt];   // LabCbrtTab_b: f(t) in 1/32768
  uint8_t l[kCbrt];       // the L byte of a Y index: saturate((296 cbrt[Y] - 1336934 + 2^14) >> 15)

  // Back. Lab2RGBinteger per pixel: y, f(y) of L (LabToYF_b, 1/16384); x = abToXZ_b[f(y) + a / 500], z =
  // abToXZ_b[f(y) - b / 200] (its fixed-point divisions); channel = inv_gamma[clamp(row . (x, y, z) >> 14)].
  int32_t y[256], fy[256];
  int32_t xz[kXZ];
  int32_t rgb[9];                 // XYZ -> R, G, B rows times the white point, 1/4096
  uint8_t inv_gamma[kInvGamma];   // sRGBInvGammaTab_b
  // The same, tabulated by (L, a) and (L, b): la[L << 8 | a][c] = rgb[c][0] x + rgb[c][1] y + 2^13 - lo 2^14 and
  // lb[L << 8 | b][c] = rgb[c][2] z, so channel c = inv_gamma_wide[(la + lb) >> 14] with two 16-byte loads and no
  // multiplication. inv_gamma_wide[v] = inv_gamma[clamp(v + lo)] spans every sum the tables can make, lo being
  // the lowest (the clamp is in the table).
  int32_t (*la)[4], (*lb)[4];
  const uint8_t *inv_gamma_wide;
};
const LabTables &lab_tables();

/// RGB -> Lab over n interleaved pixels, as cv::cvtColor(COLOR_RGB2Lab); l, if not null, also receives L.
void rgb_to_lab(const uint8_t *rgb, size_t n, uint8_t *lab, uint8_t *l = nullptr);
/// Lab -> RGB over n pixels, as cv::cvtColor(COLOR_Lab2RGB); with l, L comes from l[i] instead of lab. rgb may be
/// lab (converted in place).
void lab_to_rgb(const uint8_t *lab, const uint8_t *l, size_t n, uint8_t *rgb);

/// Whether the AVX2 kernels run (lab.h's, CLAHE's blend): where the CPU has AVX2, unless this thread turned them
/// off (the exactness checks run both ways; the results must be the same bits).
bool use_avx2();
extern thread_local bool avx2_off;

// lab_avx2.cpp: rgb_to_lab for the first pixels (a multiple of 8, all but the last 10 or so); returns how many.
size_t rgb_to_lab_avx2(const LabTables &t, const uint8_t *rgb, size_t n, uint8_t *lab, uint8_t *l);
}  // namespace cimage
