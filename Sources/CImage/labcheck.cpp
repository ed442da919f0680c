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
  for (int vector = 1; vector >= 0; vector--) {
    const double t = timed([&] { cimage::rgb_to_lab(all.data, n, ours.data(), plane.data(), vector); });
    r.compare(vector ? "RGB -> Lab, all 2^24 RGB (AVX2 where the CPU has it)" : "RGB -> Lab, all 2^24 RGB (per pixel)",
              ours.data(), theirs.data, n * 3, 3, t, cv_forward);
    r.compare("  its L plane", plane.data(), lplane.data(), n, 1, 0, 0);
  }

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
  // Noise, a smooth gradient with noise, and sizes the tile grid does not divide (OpenCV pads them for the LUTs).
  const int sizes[][2] = {{512, 512}, {768, 768}, {53, 37}, {301, 450}};
  cv::RNG rng(13);
  for (int k = 0; k < 4; k++) {
    const int h = sizes[k][0], w = sizes[k][1];
    cv::Mat rgb(h, w, CV_8UC3);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          const int smooth = (x * (c + 1) * 255 / w + y * 255 / h) / 2;
          rgb.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(k == 0 ? rng.uniform(0, 256) : smooth + rng.uniform(-12, 13));
        }
    for (double clip : {1.0, 2.5, 4.0}) {
      const int tiles = k == 3 ? 3 : 8;
      cv::Mat ours(h, w, CV_8UC3);
      double t = timed([&] { ci_clahe(rgb.data, h, w, clip, tiles, ours.data); });
      cv::Mat theirs;
      double t_cv = timed([&] { theirs = reference_clahe(rgb, clip, tiles); });
      char what[96];
      std::snprintf(what, sizeof what, "CLAHE %dx%d clip %.1f tiles %d", w, h, clip, tiles);
      r.compare(what, ours.data, theirs.data, (size_t)h * w * 3, 3, t, t_cv);
    }
  }
}
}  // namespace

extern "C" int ci_lab_check(char *report, size_t report_size) {
  Report r;
  try {
    check_conversions(r);
    check_clahe(r);
  } catch (const std::exception &e) {
    r.text += std::string("exception: ") + e.what() + "\n";
    r.failures++;
  }
  if (report && report_size) std::snprintf(report, report_size, "%s", r.text.c_str());
  return r.failures;
}
