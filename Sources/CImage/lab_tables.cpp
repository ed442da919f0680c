// The tables of OpenCV 4.6's 8-bit sRGB <-> CIE Lab conversions (imgproc/src/color_lab.cpp: RGB2Lab_b and
// Lab2RGBinteger, which cv::cvtColor runs for COLOR_RGB2Lab / COLOR_Lab2RGB on CV_8UC3), rebuilt here with the
// same softfloat / softdouble arithmetic (OpenCV's bit-exact software floating point, exported by core), so
// every entry is the one OpenCV computes. Tests/ImagingTests/BitExactTests.swift compares the conversions built on
// them with cv::cvtColor over every input byte triple.
#include "lab.h"
#include <algorithm>
#include <climits>  // also for softfloat.hpp, which uses UCHAR_MAX without including it
#include <cstdlib>
#include <opencv2/core/softfloat.hpp>

namespace {
using cv::softdouble;
using cv::softfloat;

// color_lab.cpp's constants, given by their bit patterns there: sRGB -> XYZ (D65), XYZ -> sRGB and the white point.
const uint64_t rgb2xyz_bits[9] = {0x3fda65a14488c60d, 0x3fd6e297396d0918, 0x3fc71819d2391d58,
                                  0x3fcb38cda6e75ff6, 0x3fe6e297396d0918, 0x3fb279aae6c8f755,
                                  0x3f93cc4ac6cdaf4b, 0x3fbe836eb4e98138, 0x3fee68427418d691};
const uint64_t xyz2rgb_bits[9] = {0x4009ec804102ff8f, 0xbff8982a9930be0e, 0xbfdfe7ff583a53b9,
                                  0xbfef042528ae74f3, 0x3ffe040f23897204, 0x3fa546d3f9e7b80b,
                                  0x3fac7de5082cf52c, 0xbfca1e14bdfd2631, 0x3ff0eabef06b3786};
softdouble white(int i) {
  return i == 1 ? softdouble::one()
                : softdouble::fromRaw(i == 0 ? 0x3fee6a22b3892ee8 : 0x3ff16b8950763a19);
}

// sRGB companding, exactly as color_lab.cpp writes it: evaluated in double, handed back as float.
softfloat gamma(softfloat x) {
  const softdouble xd = x, threshold = softdouble(809) / softdouble(20000), low = softdouble(323) / softdouble(25);
  const softdouble power = softdouble(12) / softdouble(5), shift = softdouble(11) / softdouble(200);
  return xd <= threshold ? softfloat(xd / low) : softfloat(pow((xd + shift) / (softdouble::one() + shift), power));
}
softfloat inverse_gamma(softfloat x) {
  const softdouble xd = x, threshold = softdouble(7827) / softdouble(2500000), low = softdouble(323) / softdouble(25);
  const softdouble power = softdouble(12) / softdouble(5), shift = softdouble(11) / softdouble(200);
  return xd <= threshold ? softfloat(xd * low)
                         : softfloat(pow(xd, softdouble::one() / power) * (softdouble::one() + shift) - shift);
}

// (L, a) and (L, b) tables of the back conversion, and the inverse gamma over every sum they can make.
void build_pairs(cimage::LabTables &t) {
  t.la = static_cast<int32_t(*)[4]>(std::aligned_alloc(64, sizeof(int32_t[4]) << 16));
  t.lb = static_cast<int32_t(*)[4]>(std::aligned_alloc(64, sizeof(int32_t[4]) << 16));
  int lo = INT_MAX, hi = INT_MIN;  // of (la + lb) >> 14 over all entries
  for (int c = 0; c < 3; c++) {
    int la_lo = INT_MAX, la_hi = INT_MIN, lb_lo = INT_MAX, lb_hi = INT_MIN;
    for (int l = 0; l < 256; l++)
      for (int v = 0; v < 256; v++) {
        // Lab2RGBinteger: f(x) = f(y) + a / 500 and f(z) = f(y) - b / 200 in its fixed point, then the table.
        const int adiv = ((5 * v * 53687 + (1 << 7)) >> 13) - 128 * 16384 / 500;
        const int bdiv = ((v * 41943 + (1 << 4)) >> 9) - 128 * 16384 / 200 + 1;
        const int x = t.xz[t.fy[l] + adiv - cimage::LabTables::kXZMin];
        const int z = t.xz[t.fy[l] - bdiv - cimage::LabTables::kXZMin];
        const int a = t.la[l << 8 | v][c] = t.rgb[c * 3] * x + t.rgb[c * 3 + 1] * t.y[l] + (1 << 13);
        const int b = t.lb[l << 8 | v][c] = t.rgb[c * 3 + 2] * z;
        t.la[l << 8 | v][3] = t.lb[l << 8 | v][3] = 0;
        la_lo = std::min(la_lo, a), la_hi = std::max(la_hi, a), lb_lo = std::min(lb_lo, b), lb_hi = std::max(lb_hi, b);
      }
    lo = std::min(lo, (la_lo + lb_lo) >> 14);
    hi = std::max(hi, (la_hi + lb_hi) >> 14);
  }
  uint8_t *wide = new uint8_t[hi - lo + 1];
  for (int v = lo; v <= hi; v++) wide[v - lo] = t.inv_gamma[std::min(cimage::LabTables::kInvGamma - 1, std::max(0, v))];
  t.inv_gamma_wide = wide;
  // la - lo * 2^14 shifts every sum by exactly -lo after the >> 14, so the sums index wide from 0.
  for (int i = 0; i < 1 << 16; i++)
    for (int c = 0; c < 3; c++) t.la[i][c] -= lo * (1 << 14);
}

void build(cimage::LabTables &t) {
  const softfloat f255(255), lthresh = softfloat(216) / softfloat(24389);
  const softfloat lscale = softfloat(841) / softfloat(108), lbias = softfloat(16) / softfloat(116);

  // Forward: gamma to 255 * 8, the XYZ rows over the white point in 1/4096, the cube root in 1/32768.
  int gam[256];
  for (int i = 0; i < 256; i++) gam[i] = cvRound(softfloat(255 * 8) * gamma(softfloat(i) / f255));
  int coeff[9];
  for (int i = 0; i < 9; i++)
    coeff[i] = cvRound(softdouble(4096) * softdouble::fromRaw(rgb2xyz_bits[i]) / white(i / 3));
  for (int i = 0; i < 256; i++) t.gamma[i] = gam[i];
  for (int i = 0; i < 9; i++) t.xyz_coeff[i] = coeff[i];
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++)
      for (int k = 0; k < 3; k++)
        t.xyz[c][v][k] = gam[v] * coeff[k * 3 + c] + (c == 0 ? 1 << 11 : 0);  // + the rounding half, once
  const softfloat cbrt_step = softfloat::one() / softfloat(255 * 8);
  for (int i = 0; i < cimage::LabTables::kCbrt; i++) {
    const softfloat x = cbrt_step * softfloat(i);
    t.cbrt[i] = (uint16_t)cvRound(softfloat(1 << 15) * (x < lthresh ? mulAdd(x, lscale, lbias) : cbrt(x)));
    // L = (296 fY - 1336934 + 2^14) >> 15, saturated: 296 = (116 * 255 + 50) / 100, 1336934 = 16 * 255 * 2^15 / 100.
    const int l = (296 * t.cbrt[i] - 1336934 + (1 << 14)) >> 15;
    t.l[i] = (uint8_t)std::min(255, std::max(0, l));
  }

  // Back: y and f(y) of L in 1/16384, x and z of f(x), f(z), the sRGB rows times the white point in 1/4096, and
  // the inverse companding of a 12-bit linear value to 0..255.
  const int base = 1 << 14;
  for (int i = 0; i < 256; i++) {
    int y, fy;
    if (i <= 20) {  // L <= 8: the linear segment
      y = cvRound(softfloat(i * base * 20 * 9) / softfloat(17 * 29 * 29 * 29));
      fy = cvRound(softfloat(base) * (softfloat(16) / softfloat(116) + softfloat(i * 5) / softfloat(3 * 17 * 29)));
    } else {
      const softfloat f = softfloat(i * 100 * base) / softfloat(255 * 116) + softfloat(16 * base) / softfloat(116);
      fy = cvRound(f);
      y = cvRound(f * f * f / softfloat(base * base));
    }
    t.y[i] = y;
    t.fy[i] = fy;
  }
  for (int i = cimage::LabTables::kXZMin; i < cimage::LabTables::kXZMin + cimage::LabTables::kXZ; i++)
    t.xz[i - cimage::LabTables::kXZMin] =
        i <= 3390 ? i * 108 / 841 - base * 16 / 116 * 108 / 841 : i * i / base * i / base;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      t.rgb[i * 3 + j] = cvRound(softdouble(4096) * softdouble::fromRaw(xyz2rgb_bits[i * 3 + j]) * white(j));
  for (int i = 0; i < cimage::LabTables::kInvGamma; i++)
    t.inv_gamma[i] = (uint8_t)cvRound(f255 * inverse_gamma(softfloat::one() / softfloat(4096) * softfloat(i)));
  build_pairs(t);
}
}  // namespace

namespace cimage {
const LabTables &lab_tables() {
  // Built once, on first use (thread-safe static initialisation), on the heap: 2.2 MB, most of it the pair tables.
  static const LabTables *t = [] {
    auto *tables = new LabTables();
    build(*tables);
    return tables;
  }();
  return *t;
}
}  // namespace cimage
