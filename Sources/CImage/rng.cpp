// cv::RNG::fill of float32 (UNIFORM and NORMAL; core/src/rand.cpp of OpenCV 4.6) with the same numbers, faster.
// OpenCV's generator is a multiply-with-carry: state' = a * (state mod 2^32) + state / 2^32, 32 random bits per
// state. One serial chain spends a multiply's latency per number (about 1.3 ns); here 8 runs of the sequence are
// computed side by side, their starts found by jump-ahead: for a state s < m = a * 2^32 - 1 the step is exactly
// s' = a s mod m, so the state k steps on is a^k s mod m. The numbers are then used in OpenCV's order and
// arithmetic. Tests/ImagingTests/BitExactTests.swift (ci_rng_check) compares them with cv::RNG::fill's.
#include "cimage.h"
#include "internal.h"
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace {
constexpr uint64_t kA = 4164903690u;             // CV_RNG_COEFF
constexpr uint64_t kM = (kA << 32) - 1;          // the modulus the step multiplies in
constexpr int kRun = 512, kLanes = 8, kBlock = kRun * kLanes;

inline uint64_t step(uint64_t s) { return (uint64_t)(uint32_t)s * kA + (s >> 32); }  // RNG_NEXT
inline uint64_t mulmod(uint64_t x, uint64_t y) { return (uint64_t)((unsigned __int128)x * y % kM); }

// a^(k * kRun) mod m for k = 0..kLanes: the jump from a run's start to the next run's.
struct Jumps {
  uint64_t to[kLanes + 1];
  Jumps() {
    uint64_t run = 1;
    for (int i = 0; i < kRun; i++) run = mulmod(run, kA);
    to[0] = 1;
    for (int k = 1; k <= kLanes; k++) to[k] = mulmod(to[k - 1], run);
  }
};

// The low 32 bits of the generator's successive states from a given one, a block at a time.
class Stream {
 public:
  explicit Stream(uint64_t state) : next_start_(state) {}
  uint32_t next() {
    if (pos_ == kBlock) refill();
    return buf_[pos_++];
  }
  // Gives back the last count numbers span returned.
  void unread(int count) { pos_ -= count; }
  // Up to count of the next numbers, as many as the current block still holds (at least one); count becomes that.
  const uint32_t *span(int &count) {
    if (pos_ == kBlock) refill();
    count = std::min(count, kBlock - pos_);
    const uint32_t *p = buf_ + pos_;
    pos_ += count;
    return p;
  }

 private:
  // The next kBlock numbers, the state of the first being next_start_.
  void refill() {
    pos_ = 0;
    uint64_t s = next_start_;
    if (s >= kM) {
      // Only a seed can be at or above m; one or two steps bring it below (unless it is m itself, which the
      // generator never leaves). Serially, as OpenCV does.
      for (int i = 0; i < kBlock; i++, s = step(s)) buf_[i] = (uint32_t)s;
      next_start_ = s;
      return;
    }
    static const Jumps jumps;
    uint64_t lane[kLanes];
    for (int k = 0; k < kLanes; k++) lane[k] = mulmod(s, jumps.to[k]);
    for (int t = 0; t < kRun; t++)
      for (int k = 0; k < kLanes; k++) {
        buf_[k * kRun + t] = (uint32_t)lane[k];
        lane[k] = step(lane[k]);
      }
    next_start_ = mulmod(s, jumps.to[kLanes]);
  }

  uint64_t next_start_;
  int pos_ = kBlock;
  uint32_t buf_[kBlock];
};

// rand.cpp's ziggurat tables (Marsaglia and Tsang), computed as it computes them.
struct Ziggurat {
  unsigned kn[128];
  float wn[128], fn[128];
  Ziggurat() {
    const double m1 = 2147483648.0;
    double dn = 3.442619855899, tn = dn, vn = 9.91256303526217e-3;
    const double q = vn / std::exp(-.5 * dn * dn);
    kn[0] = (unsigned)((dn / q) * m1);
    kn[1] = 0;
    wn[0] = (float)(q / m1);
    wn[127] = (float)(dn / m1);
    fn[0] = 1.f;
    fn[127] = (float)std::exp(-.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
      dn = std::sqrt(-2. * std::log(vn / dn + std::exp(-.5 * dn * dn)));
      kn[i + 1] = (unsigned)((dn / tn) * m1);
      tn = dn;
      fn[i] = (float)std::exp(-.5 * dn * dn);
      wn[i] = (float)(dn / m1);
    }
  }
};

// randn_0_1_32f past its first test: the rest of one N(0, 1) sample whose first number hz was not accepted, in
// its order of draws and its float/double arithmetic. About 1 sample in 100 comes here.
__attribute__((noinline)) float normal01_rest(int hz, Stream &s, const Ziggurat &z) {
  const float r = 3.442620f, rng_flt = 2.3283064365386962890625e-10f;
  for (;;) {
    const int iz = hz & 127;
    float x = hz * z.wn[iz];
    const unsigned abs_hz = hz < 0 ? 0u - (unsigned)hz : (unsigned)hz;  // std::abs, INT_MIN included
    if (abs_hz < z.kn[iz]) return x;
    if (iz == 0) {  // the base strip: the tail beyond r
      float y;
      do {
        x = s.next() * rng_flt;
        y = s.next() * rng_flt;
        x = (float)(-std::log(x + FLT_MIN) * 0.2904764);
        y = (float)-std::log(y + FLT_MIN);
      } while (y + y < x * x);
      return hz > 0 ? r + x : -r - x;
    }
    const float y = s.next() * rng_flt;  // a wedge
    if (z.fn[iz] + y * (z.fn[iz - 1] - z.fn[iz]) < std::exp(-.5 * x * x)) return x;
    hz = (int)s.next();
  }
}
}  // namespace

namespace cimage {
void rng_fill(uint64_t state, bool normal, double a, double b, float *out, size_t n) {
  Stream s(state);
  if (normal) {
    static const Ziggurat z;
    const float mean = (float)a, stddev = (float)b;  // the CV_32F parameters fill converts them to
    for (size_t i = 0; i < n;) {
      int count = (int)std::min<size_t>(n - i, kBlock);
      const uint32_t *t = s.span(count);
      // The ziggurat's first test accepts about 99 % of numbers: those take this loop; the others the rest of
      // randn_0_1_32f, which may read further numbers, so the span ends there.
      // (An AVX2 version of this loop is no faster: its two gathers cost what the scalar loads and tests do.)
      int k = 0;
      for (; k < count; k++) {
        const int hz = (int)t[k], iz = hz & 127;
        if ((hz < 0 ? 0u - (unsigned)hz : (unsigned)hz) >= z.kn[iz]) break;  // std::abs, INT_MIN included
        out[i + k] = hz * z.wn[iz] * stddev + mean;
      }
      i += k;
      if (k < count) {
        s.unread(count - k - 1);  // numbers after hz go back to the stream
        out[i++] = normal01_rest((int)t[k], s, z) * stddev + mean;
      }
    }
    return;
  }
  // UNIFORM: x = float(int(state') * scale) + shift, scale = float((b - a) 2^-32), shift = float((a + b) / 2), the
  // state stepped before each number (the normal path reads it before stepping; hence one number skipped here).
  const float scale = (float)(std::min(DBL_MAX, b - a) * 2.3283064365386962890625e-10);
  const float shift = (float)((b + a) * 0.5);
  s.next();
  for (size_t i = 0; i < n;) {
    int count = (int)std::min<size_t>(n - i, kBlock);
    const uint32_t *t = s.span(count);
    for (int k = 0; k < count; k++) out[i + k] = (float)((int)t[k] * scale) + shift;
    i += count;
  }
}
}  // namespace cimage
