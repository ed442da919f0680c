// ci_lab_check: our 8-bit Lab conversions (lab.h) against the linked OpenCV's cv::cvtColor over every input byte
// triple of each direction, and ci_clahe against albumentations' call sequence done with OpenCV alone. It lives in
// the shim (compiled -O2 even in debug builds) so the 2^24-pixel comparisons take about a second.
#include "cimage.h"
#include "internal.h"
#include "lab.h"
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
struct Report {
  std::string text;
  int failures = 0;
  // Records one comparison: how many bytes differ and the first difference (pixel, channel, both values).
  void compare(const char *what, const uint8_t *ours, const uint8_t *theirs, size_t bytes, int channels, double ms_ours,
               double ms_theirs) {
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < bytes; i++)
      if (ours[i] != theirs[i] && differ++ == 0) first = i;
    char line[320];
    if (differ == 0 && ms_ours > 0)
      std::snprintf(line, sizeof line, "%s: all %zu bytes equal (wall ms: ours %.1f, OpenCV %.1f)\n", what, bytes,
                    ms_ours, ms_theirs);
    else if (differ == 0)
      std::snprintf(line, sizeof line, "%s: all %zu bytes equal\n", what, bytes);
    else
      std::snprintf(line, sizeof line, "%s: %zu of %zu bytes differ, first at pixel %zu channel %d: ours %d, OpenCV %d\n",
                    what, differ, bytes, first / channels, (int)(first % channels), ours[first], theirs[first]);
    text += line;
    failures += differ != 0;
  }
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <class F> double timed(F f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return ms_since(t0);
}

// What albumentations 0.4.6 does for CLAHE on RGB uint8, in OpenCV calls.
cv::Mat reference_clahe(const cv::Mat &rgb, double clip, int tiles) {
  cv::Mat lab, l, out;
  cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
  cv::extractChannel(lab, l, 0);
  cv::createCLAHE(clip, cv::Size(tiles, tiles))->apply(l, l);
  cv::insertChannel(l, lab, 0);
  cv::cvtColor(lab, out, cv::COLOR_Lab2RGB);
  return out;
}

void check_conversions(Report &r) {
  // Every RGB triple once: pixel i = (i >> 16, i >> 8 & 255, i & 255). Read as Lab it is every Lab triple too.
  const int side = 4096;
  const size_t n = (size_t)side * side;
  cv::Mat all(side, side, CV_8UC3);
  for (size_t i = 0; i < n; i++) {
    all.data[3 * i] = (uint8_t)(i >> 16);
    all.data[3 * i + 1] = (uint8_t)(i >> 8);
    all.data[3 * i + 2] = (uint8_t)i;
  }
  cimage::lab_tables();  // built outside the timings, as OpenCV's are by its first call below
  cv::Mat theirs, probe;
  cv::cvtColor(all(cv::Rect(0, 0, 16, 1)), probe, cv::COLOR_RGB2Lab);
  cv::cvtColor(probe, probe, cv::COLOR_Lab2RGB);
  const double cv_forward = timed([&] { cv::cvtColor(all, theirs, cv::COLOR_RGB2Lab); });
  std::vector<uint8_t> ours(n * 3), plane(n), lplane(n);
  for (size_t i = 0; i < n; i++) lplane[i] = theirs.data[3 * i];
  const double t_forward = timed([&] { cimage::rgb_to_lab(all.data, n, ours.data(), plane.data()); });
  r.compare("RGB -> Lab, all 2^24 RGB", ours.data(), theirs.data, n * 3, 3, t_forward, cv_forward);
  r.compare("  its L plane", plane.data(), lplane.data(), n, 1, 0, 0);

  const double cv_back = timed([&] { cv::cvtColor(all, theirs, cv::COLOR_Lab2RGB); });
  const double t = timed([&] { cimage::lab_to_rgb(all.data, nullptr, n, ours.data()); });
  r.compare("Lab -> RGB, all 2^24 Lab", ours.data(), theirs.data, n * 3, 3, t, cv_back);

  // L from a plane: for each (a, b) the plane maps L one-to-one, so all 2^24 triples again, in other pixels.
  cv::Mat relit = all.clone();
  for (size_t i = 0; i < n; i++) {
    plane[i] = (uint8_t)(all.data[3 * i] ^ (uint8_t)(all.data[3 * i + 1] * 37 + all.data[3 * i + 2] * 11));
    relit.data[3 * i] = plane[i];
  }
  cv::cvtColor(relit, theirs, cv::COLOR_Lab2RGB);
  std::memcpy(ours.data(), all.data, n * 3);
  cimage::lab_to_rgb(ours.data(), plane.data(), n, ours.data());
  r.compare("Lab -> RGB with L from a plane, in place, all 2^24 triples", ours.data(), theirs.data, n * 3, 3, 0, 0);
}

void check_clahe(Report &r) {
  // Sizes the tile grid divides (our CLAHE) and does not (OpenCV pads those: cv::CLAHE between our conversions);
  // noise, smooth gradients with noise, flat and two-level images (empty and full histogram bins, heavy clipping);
  // clip limits from 0 (off) to 40.
  struct Case {
    int h, w, tiles, kind;
  };
  const Case cases[] = {{512, 512, 8, 0}, {512, 512, 8, 1}, {768, 768, 8, 1}, {768, 768, 8, 2}, {64, 96, 8, 1},
                        {96, 64, 4, 3},   {120, 90, 3, 1},  {53, 37, 8, 1},   {301, 450, 3, 0}, {512, 500, 8, 1}};
  const double clips[] = {0.0, 1.0, 2.5, 3.999, 40.0};
  cv::RNG rng(13);
  for (const Case &c : cases) {
    cv::Mat rgb(c.h, c.w, CV_8UC3);
    const int level = rng.uniform(0, 256);
    for (int y = 0; y < c.h; y++)
      for (int x = 0; x < c.w; x++)
        for (int ch = 0; ch < 3; ch++) {
          const int smooth = (x * (ch + 1) * 255 / c.w + y * 255 / c.h) / 2;
          const int v = c.kind == 0 ? rng.uniform(0, 256)
                        : c.kind == 1 ? smooth + rng.uniform(-12, 13)
                        : c.kind == 2 ? level
                                      : ((x / 7 + y / 5) % 2 ? 40 : 200);
          rgb.at<cv::Vec3b>(y, x)[ch] = cv::saturate_cast<uint8_t>(v);
        }
    for (double clip : clips) {
      cv::Mat ours(c.h, c.w, CV_8UC3);
      const double t = timed([&] { ci_clahe(rgb.data, c.h, c.w, clip, c.tiles, ours.data); });
      cv::Mat theirs;
      const double t_cv = timed([&] { theirs = reference_clahe(rgb, clip, c.tiles); });
      char what[96];
      std::snprintf(what, sizeof what, "CLAHE %dx%d kind %d clip %.3g tiles %d", c.w, c.h, c.kind, clip, c.tiles);
      r.compare(what, ours.data, theirs.data, (size_t)c.h * c.w * 3, 3, t, t_cv);
    }
  }
}
}  // namespace

extern "C" int ci_lab_check(char *report, size_t report_size) {
  Report r;
  // Twice: with the AVX2 kernels (where the CPU has them) and with the per-pixel code alone.
  for (bool off : {false, true}) {
    cimage::avx2_off = off;
    r.text += off ? "-- per-pixel code only\n" : cimage::use_avx2() ? "-- AVX2 kernels\n" : "-- no AVX2 on this CPU\n";
    try {
      check_conversions(r);
      check_clahe(r);
    } catch (const std::exception &e) {
      r.text += std::string("exception: ") + e.what() + "\n";
      r.failures++;
    }
  }
  cimage::avx2_off = false;
  if (report && report_size) std::snprintf(report, report_size, "%s", r.text.c_str());
  return r.failures;
}
