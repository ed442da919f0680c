// lab.cpp's RGB -> Lab 8 pixels at a time with AVX2, picked at run time where the CPU has it: the same integer
// arithmetic, so the same bits; the table lookups become gathers. (The back conversion stays one pixel at a time:
// its two 16-byte table loads per pixel beat gathers, which cost about one load-port cycle per element here.)
#include "lab.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <cstring>

#define AVX2 __attribute__((target("avx2")))

namespace cimage {
namespace {
AVX2 inline __m256i byte_of_pixels(int c) {
  // Per 128-bit lane: byte c of pixels 0..3 into the low byte of each 32-bit element.
  return _mm256_broadcastsi128_si256(
      _mm_setr_epi8(c, -1, -1, -1, c + 3, -1, -1, -1, c + 6, -1, -1, -1, c + 9, -1, -1, -1));
}

// Splits 8 interleaved 3-byte pixels into three vectors of 8 int32, reading bytes 0..27 (4 past the pixels).
AVX2 inline void load8(const uint8_t *p, __m256i &c0, __m256i &c1, __m256i &c2) {
  const __m128i lo = _mm_loadu_si128((const __m128i *)p), hi = _mm_loadu_si128((const __m128i *)(p + 12));
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
  c0 = _mm256_shuffle_epi8(v, byte_of_pixels(0));
  c1 = _mm256_shuffle_epi8(v, byte_of_pixels(1));
  c2 = _mm256_shuffle_epi8(v, byte_of_pixels(2));
}

// Writes the low bytes of three vectors of 8 int32 as 8 interleaved pixels: exactly 24 bytes, so a conversion in
// place never overwrites pixels it has not read.
AVX2 inline void store8(uint8_t *p, __m256i c0, __m256i c1, __m256i c2) {
  __m256i v = _mm256_or_si256(c0, _mm256_or_si256(_mm256_slli_epi32(c1, 8), _mm256_slli_epi32(c2, 16)));
  v = _mm256_shuffle_epi8(v, _mm256_broadcastsi128_si256(
                                 _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1)));
  const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
  const int lo2 = _mm_extract_epi32(lo, 2), hi2 = _mm_extract_epi32(hi, 2);
  _mm_storel_epi64((__m128i *)p, lo);
  std::memcpy(p + 8, &lo2, 4);
  _mm_storel_epi64((__m128i *)(p + 12), hi);
  std::memcpy(p + 20, &hi2, 4);
}

// The low bytes of 8 int32 as 8 consecutive bytes.
AVX2 inline void store8_plane(uint8_t *p, __m256i v) {
  const __m256i packed = _mm256_shuffle_epi8(
      v, _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)));
  const __m256i joined = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  _mm_storel_epi64((__m128i *)p, _mm256_castsi256_si128(joined));
}

AVX2 inline __m256i gather32(const int32_t *t, __m256i i) { return _mm256_i32gather_epi32((const int *)t, i, 4); }
// 16-bit entries read as 32 bits and masked (the table has room past its last used index).
AVX2 inline __m256i gather16(const uint16_t *t, __m256i i) {
  return _mm256_and_si256(_mm256_i32gather_epi32((const int *)t, i, 2), _mm256_set1_epi32(0xffff));
}

// One row of the XYZ matrix, (gamma(R) C0 + gamma(G) C1 + gamma(B) C2 + 2048) >> 12, as two pmaddwd: every factor
// fits in int16 (gamma <= 2040, coefficients <= 4096) and the sum in int32, as in OpenCV's own SSE code.
AVX2 inline __m256i xyz_row(const LabTables &t, int row, __m256i rg, __m256i b1) {
  const int32_t *c = t.xyz_coeff + row * 3;
  const __m256i c01 = _mm256_set1_epi32(c[0] | c[1] << 16), c2h = _mm256_set1_epi32(c[2] | 2048 << 16);
  return _mm256_srai_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg, c01), _mm256_madd_epi16(b1, c2h)), 12);
}

AVX2 inline __m256i saturate8(__m256i v) {
  return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_setzero_si256()), _mm256_set1_epi32(255));
}
}  // namespace

AVX2 size_t rgb_to_lab_avx2(const LabTables &t, const uint8_t *rgb, size_t n, uint8_t *lab, uint8_t *l) {
  const __m256i offset = _mm256_set1_epi32((128 << 15) + (1 << 14));
  size_t i = 0;
  for (; i + 10 <= n; i += 8) {  // load8 reads 4 bytes past the 8 pixels: stay 2 pixels from the end
    __m256i r, g, b;
    load8(rgb + 3 * i, r, g, b);
    // R | G << 16 and B | 1 << 16 after the gamma, for xyz_row.
    const __m256i rg = _mm256_or_si256(gather32(t.gamma, r), _mm256_slli_epi32(gather32(t.gamma, g), 16));
    const __m256i b1 = _mm256_or_si256(gather32(t.gamma, b), _mm256_set1_epi32(1 << 16));
    const __m256i fx = gather16(t.cbrt, xyz_row(t, 0, rg, b1)), fy = gather16(t.cbrt, xyz_row(t, 1, rg, b1));
    const __m256i fz = gather16(t.cbrt, xyz_row(t, 2, rg, b1));
    // L = (296 f(Y) - 1336934 + 2^14) >> 15 (lab_tables.cpp's l table, computed instead of gathered).
    const __m256i L = saturate8(_mm256_srai_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(fy, _mm256_set1_epi32(296)), _mm256_set1_epi32(-1336934 + (1 << 14))), 15));
    const __m256i a = saturate8(_mm256_srai_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(fx, fy), _mm256_set1_epi32(500)), offset), 15));
    const __m256i bb = saturate8(_mm256_srai_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(fy, fz), _mm256_set1_epi32(200)), offset), 15));
    store8(lab + 3 * i, L, a, bb);
    if (l) store8_plane(l + i, L);
  }
  return i;
}

thread_local bool avx2_off = false;
bool use_avx2() {
  static const bool cpu = __builtin_cpu_supports("avx2");
  return cpu && !avx2_off;
}
}  // namespace cimage
#else
namespace cimage {
thread_local bool avx2_off = false;
bool use_avx2() { return false; }
size_t rgb_to_lab_avx2(const LabTables &, const uint8_t *, size_t, uint8_t *, uint8_t *) { return 0; }
}  // namespace cimage
#endif
