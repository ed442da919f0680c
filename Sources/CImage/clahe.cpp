// albumentations' CLAHE on RGB: LAB, cv::CLAHE on L, back to RGB; OpenCV 4.6's bytes at under half its cost.
// The LAB conversions are lab.h's; CLAHE (imgproc/src/clahe.cpp, 8-bit) is redone here when the tile grid divides
// the image (tiles of equal size, the case of every training image): its tile histograms, clipping and LUTs in
// its integer and float steps, and its bilinear blend of four tile LUTs per pixel in the same float operations,
// done a row at a time and handed straight to the back conversion. Other sizes, which OpenCV pads first, keep
// cv::CLAHE. ci_lab_check compares both paths with albumentations' OpenCV call sequence.
#include "cimage.h"
#include "internal.h"
#include "lab.h"
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

namespace {
// CLAHE_CalcLut_Body for one tile: the histogram of L over the tile, clipped at clip with the excess spread
// evenly (the remainder one by one at a stride), then the cumulative sum scaled to 0..255.
void tile_lut(const uint8_t *lab, int w, int x0, int y0, int tw, int th, int clip, float scale, uint8_t *lut) {
  int hist[256] = {0};
  for (int y = y0; y < y0 + th; y++) {
    const uint8_t *p = lab + ((size_t)y * w + x0) * 3;
    for (int x = 0; x < tw; x++, p += 3) hist[*p]++;
  }
  if (clip > 0) {
    int clipped = 0;
    for (int i = 0; i < 256; i++)
      if (hist[i] > clip) {
        clipped += hist[i] - clip;
        hist[i] = clip;
      }
    const int batch = clipped / 256;
    int residual = clipped - batch * 256;
    for (int i = 0; i < 256; i++) hist[i] += batch;
    if (residual != 0) {
      const int step = std::max(256 / residual, 1);
      for (int i = 0; i < 256 && residual > 0; i += step, residual--) hist[i]++;
    }
  }
  int sum = 0;
  for (int i = 0; i < 256; i++) {
    sum += hist[i];
    lut[i] = cv::saturate_cast<uint8_t>(sum * scale);
  }
}

// CLAHE_Interpolation_Body for one row: L' = (l1[i1] xa1 + l1[i2] xa) ya1 + (l2[i1] xa1 + l2[i2] xa) ya rounded,
// where l1, l2 are the LUT rows of the tile rows around y and i1, i2 the tiles around x. quad[x band][L] packs
// the four LUT values of a band of columns (between two tile centres) in one word: one lookup per pixel.
struct Row {
  const uint32_t *quad;  // [band][256]
  const int *band;       // band of each column
  const float *xa, *xa1;
  float ya, ya1;
};

inline uint8_t blend(uint32_t q, float xa, float xa1, float ya, float ya1) {
  const float a = (float)(q & 255), b = (float)(q >> 8 & 255), c = (float)(q >> 16 & 255), d = (float)(q >> 24);
  return cv::saturate_cast<uint8_t>((a * xa1 + b * xa) * ya1 + (c * xa1 + d * xa) * ya);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// 8 pixels at a time: the same float operations (no FMA), cvRound as cvtps2dq (round half to even, like
// saturate_cast's), then saturation; the same bits as blend.
__attribute__((target("avx2"))) int blend_row_avx2(const Row &r, const uint8_t *lab, int w, uint8_t *out) {
  const __m256 ya = _mm256_set1_ps(r.ya), ya1 = _mm256_set1_ps(r.ya1);
  const __m256i byte = _mm256_set1_epi32(255);
  int x = 0;
  for (; x + 8 <= w; x += 8) {
    int32_t idx[8];
    for (int k = 0; k < 8; k++) idx[k] = r.band[x + k] << 8 | lab[3 * (x + k)];
    const __m256i q = _mm256_i32gather_epi32((const int *)r.quad, _mm256_loadu_si256((const __m256i *)idx), 4);
    const __m256 a = _mm256_cvtepi32_ps(_mm256_and_si256(q, byte));
    const __m256 b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(q, 8), byte));
    const __m256 c = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(q, 16), byte));
    const __m256 d = _mm256_cvtepi32_ps(_mm256_srli_epi32(q, 24));
    const __m256 xa = _mm256_loadu_ps(r.xa + x), xa1 = _mm256_loadu_ps(r.xa1 + x);
    const __m256 top = _mm256_add_ps(_mm256_mul_ps(a, xa1), _mm256_mul_ps(b, xa));
    const __m256 bottom = _mm256_add_ps(_mm256_mul_ps(c, xa1), _mm256_mul_ps(d, xa));
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(top, ya1), _mm256_mul_ps(bottom, ya));
    const __m256i i = _mm256_cvtps_epi32(v);  // values are within 0..255: no saturation needed beyond packing
    const __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(i, i), _mm256_setzero_si256());
    const uint32_t lo = (uint32_t)_mm256_extract_epi32(p, 0), hi = (uint32_t)_mm256_extract_epi32(p, 4);
    std::memcpy(out + x, &lo, 4);
    std::memcpy(out + x + 4, &hi, 4);
  }
  return x;
}
#endif

void blend_row(const Row &r, const uint8_t *lab, int w, uint8_t *out) {
  int x = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (cimage::use_avx2()) x = blend_row_avx2(r, lab, w, out);
#endif
  for (; x < w; x++) out[x] = blend(r.quad[r.band[x] << 8 | lab[3 * x]], r.xa[x], r.xa1[x], r.ya, r.ya1);
}
}  // namespace

extern "C" int ci_clahe(const uint8_t *src, int h, int w, double clip_limit, int tiles, uint8_t *dst) {
  CI_TRY({
    const size_t n = (size_t)h * w;
    if (tiles <= 0 || w % tiles != 0 || h % tiles != 0) {
      // OpenCV pads such images (reflect-101) for the LUTs: its own CLAHE on an L plane, our conversions around.
      thread_local cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE();
      thread_local cv::Mat l, l2;
      l.create(h, w, CV_8U);
      cimage::rgb_to_lab(src, n, dst, l.data);
      clahe->setClipLimit(clip_limit);
      clahe->setTilesGridSize(cv::Size(tiles, tiles));
      clahe->apply(l, l2);
      cimage::lab_to_rgb(dst, l2.data, n, dst);
      return 0;
    }
    cimage::rgb_to_lab(src, n, dst);  // LAB in dst, converted back in place row by row below

    // CLAHE_Impl::apply's parameters, then every tile's LUT.
    const int tw = w / tiles, th = h / tiles, total = tw * th;
    const float scale = 255.f / total;
    int clip = 0;
    if (clip_limit > 0.0) clip = std::max(static_cast<int>(clip_limit * total / 256), 1);
    thread_local std::vector<uint8_t> luts;
    luts.resize((size_t)tiles * tiles * 256);
    for (int ty = 0; ty < tiles; ty++)
      for (int tx = 0; tx < tiles; tx++)
        tile_lut(dst, w, tx * tw, ty * th, tw, th, clip, scale, &luts[((size_t)ty * tiles + tx) * 256]);

    // Columns: the two tiles whose centres surround x and the weight of the right one, as OpenCV computes them;
    // columns with the same tile pair form a band.
    thread_local std::vector<float> xa, xa1;
    thread_local std::vector<int> band, band_left, band_right;
    xa.resize(w), xa1.resize(w), band.resize(w);
    band_left.clear(), band_right.clear();
    const float inv_tw = 1.0f / tw, inv_th = 1.0f / th;
    for (int x = 0; x < w; x++) {
      const float txf = x * inv_tw - 0.5f;
      const int t1 = cvFloor(txf);
      xa[x] = txf - t1;
      xa1[x] = 1.0f - xa[x];
      const int left = std::max(t1, 0), right = std::min(t1 + 1, tiles - 1);
      if (band_left.empty() || band_left.back() != left || band_right.back() != right)
        band_left.push_back(left), band_right.push_back(right);
      band[x] = (int)band_left.size() - 1;
    }
    thread_local std::vector<uint32_t> quad;
    thread_local std::vector<uint8_t> lrow;
    quad.resize(band_left.size() * 256);
    lrow.resize(w);
    int packed_for = -1;  // the tile row pair quad holds (ty1 * tiles + ty2)
    for (int y = 0; y < h; y++) {
      const float tyf = y * inv_th - 0.5f;
      const int t1 = cvFloor(tyf);
      Row r{quad.data(), band.data(), xa.data(), xa1.data(), tyf - t1, 1.0f - (tyf - t1)};
      const int top = std::max(t1, 0), bottom = std::min(t1 + 1, tiles - 1);
      if (packed_for != top * tiles + bottom) {
        packed_for = top * tiles + bottom;
        const uint8_t *l1 = &luts[(size_t)top * tiles * 256], *l2 = &luts[(size_t)bottom * tiles * 256];
        for (size_t b = 0; b < band_left.size(); b++) {
          const int i1 = band_left[b] * 256, i2 = band_right[b] * 256;
          for (int v = 0; v < 256; v++)
            quad[b * 256 + v] = l1[i1 + v] | l1[i2 + v] << 8 | l2[i1 + v] << 16 | (uint32_t)l2[i2 + v] << 24;
        }
      }
      uint8_t *row = dst + (size_t)y * w * 3;
      blend_row(r, row, w, lrow.data());
      cimage::lab_to_rgb(row, lrow.data(), w, row);
    }
  })
}
