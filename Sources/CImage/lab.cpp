// 8-bit sRGB <-> Lab in OpenCV 4.6's integer arithmetic (see lab.h), one pixel at a time.
#include "lab.h"
#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cimage {
namespace {
inline int clamp8(int v) { return std::min(255, std::max(0, v)); }

// One pixel of RGB2Lab_b: X, Y, Z = DESCALE(gamma(RGB) . row, 12); L from f(Y); a = DESCALE(500 (f(X) - f(Y)) +
// 128 << 15, 15), b = DESCALE(200 (f(Y) - f(Z)) + 128 << 15, 15), saturated.
inline void lab_px(const LabTables &t, const uint8_t *p, uint8_t *out) {
  const int32_t *r = t.xyz[0][p[0]], *g = t.xyz[1][p[1]], *b = t.xyz[2][p[2]];
  const int x = (r[0] + g[0] + b[0]) >> 12, y = (r[1] + g[1] + b[1]) >> 12, z = (r[2] + g[2] + b[2]) >> 12;
  const int fx = t.cbrt[x], fy = t.cbrt[y], fz = t.cbrt[z];
  constexpr int offset = (128 << 15) + (1 << 14);
  out[0] = t.l[y];
  out[1] = (uint8_t)clamp8((500 * (fx - fy) + offset) >> 15);
  out[2] = (uint8_t)clamp8((200 * (fy - fz) + offset) >> 15);
}

// One pixel of Lab2RGBinteger from the (L, a) and (L, b) tables (lab.h).
inline void rgb_px(const LabTables &t, const uint8_t *wide, int l, int a, int b, uint8_t *out) {
  const int32_t *p = t.la[l << 8 | a], *q = t.lb[l << 8 | b];
#if defined(__SSE2__)
  // The three channel sums in one 16-byte add (the tables are 16-byte rows for this).
  const __m128i s = _mm_srai_epi32(_mm_add_epi32(_mm_load_si128((const __m128i *)p), _mm_load_si128((const __m128i *)q)), 14);
  out[0] = wide[_mm_cvtsi128_si32(s)];
  out[1] = wide[_mm_cvtsi128_si32(_mm_shuffle_epi32(s, 1))];
  out[2] = wide[_mm_cvtsi128_si32(_mm_shuffle_epi32(s, 2))];
#else
  out[0] = wide[(p[0] + q[0]) >> 14];
  out[1] = wide[(p[1] + q[1]) >> 14];
  out[2] = wide[(p[2] + q[2]) >> 14];
#endif
}
}  // namespace

void rgb_to_lab(const uint8_t *rgb, size_t n, uint8_t *lab, uint8_t *l) {
  const LabTables &t = lab_tables();
  const size_t done = use_avx2() ? rgb_to_lab_avx2(t, rgb, n, lab, l) : 0;
  for (size_t i = done; i < n; i++) {
    lab_px(t, rgb + 3 * i, lab + 3 * i);
    if (l) l[i] = lab[3 * i];
  }
}

void lab_to_rgb(const uint8_t *lab, const uint8_t *l, size_t n, uint8_t *rgb) {
  const LabTables &t = lab_tables();
  const uint8_t *wide = t.inv_gamma_wide;
  if (l) {
    for (size_t i = 0; i < n; i++, lab += 3, rgb += 3) rgb_px(t, wide, l[i], lab[1], lab[2], rgb);
  } else {
    for (size_t i = 0; i < n; i++, lab += 3, rgb += 3) rgb_px(t, wide, lab[0], lab[1], lab[2], rgb);
  }
}
}  // namespace cimage
