// Decoding (libjpeg-turbo with DCT-domain scaling, libpng) and encoding of packed RGB8 images.
#include "cimage.h"
#include "internal.h"
#include <turbojpeg.h>
#include <png.h>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {
using cimage::fail;

struct TJ {
  tjhandle h;
  explicit TJ(bool compress) : h(compress ? tjInitCompress() : tjInitDecompress()) {}
  ~TJ() {
    if (h) tjDestroy(h);
  }
};

int sniff(const uint8_t *data, size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return CI_FORMAT_JPEG;
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size >= 8 && std::memcmp(data, png_magic, 8) == 0) return CI_FORMAT_PNG;
  return 0;
}

// The scale (1, 1/2, 1/4, 1/8) that keeps both sides >= min_side; TJSCALED rounds up like libjpeg does.
tjscalingfactor pick_scale(int w, int h, int min_side) {
  tjscalingfactor best = {1, 1};
  if (min_side <= 0) return best;
  for (int denom = 2; denom <= 8; denom *= 2) {
    tjscalingfactor f = {1, denom};
    if (TJSCALED(w, f) >= min_side && TJSCALED(h, f) >= min_side) best = f;
  }
  return best;
}

// OpenCV's imread conversion of (Adobe, inverted) CMYK to RGB, so CMYK files look as they did in the original.
void cmyk_to_rgb(const uint8_t *cmyk, size_t pixels, uint8_t *rgb) {
  for (size_t i = 0; i < pixels; i++, cmyk += 4, rgb += 3) {
    int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    rgb[0] = (uint8_t)(k - ((255 - c) * k >> 8));
    rgb[1] = (uint8_t)(k - ((255 - m) * k >> 8));
    rgb[2] = (uint8_t)(k - ((255 - y) * k >> 8));
  }
}

int jpeg_header(tjhandle h, const uint8_t *data, size_t size, int *w, int *hh, int *cs) {
  int subsamp = 0;
  if (tjDecompressHeader3(h, data, (unsigned long)size, w, hh, &subsamp, cs) != 0)
    return fail(std::string("not a readable JPEG: ") + tjGetErrorStr2(h));
  if (*w <= 0 || *hh <= 0) return fail("JPEG header gives an empty image");
  return 0;
}

int png_begin(png_image *img, const uint8_t *data, size_t size) {
  std::memset(img, 0, sizeof(*img));
  img->version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(img, data, size)) {
    std::string why = std::string("not a readable PNG: ") + img->message;
    png_image_free(img);
    return fail(why);
  }
  return 0;
}
}  // namespace

extern "C" {
int ci_decode_plan(const uint8_t *data, size_t size, int min_side, int *format, int *stored_w, int *stored_h,
                   int *out_w, int *out_h) {
  if (size == 0) return fail("the file is empty (0 bytes)");
  int kind = sniff(data, size);
  *format = kind;
  if (kind == CI_FORMAT_JPEG) {
    TJ tj(false);
    if (!tj.h) return fail("tjInitDecompress failed");
    int w = 0, h = 0, cs = 0;
    if (jpeg_header(tj.h, data, size, &w, &h, &cs) != 0) return -1;
    tjscalingfactor f = pick_scale(w, h, min_side);
    *stored_w = w;
    *stored_h = h;
    *out_w = TJSCALED(w, f);
    *out_h = TJSCALED(h, f);
    return 0;
  }
  if (kind == CI_FORMAT_PNG) {
    png_image img;
    if (png_begin(&img, data, size) != 0) return -1;
    *stored_w = *out_w = (int)img.width;
    *stored_h = *out_h = (int)img.height;
    png_image_free(&img);
    return 0;
  }
  return fail("not a JPEG or PNG file (unknown signature)");
}

int ci_decode(const uint8_t *data, size_t size, int out_w, int out_h, uint8_t *dst) {
  int kind = sniff(data, size);
  if (kind == CI_FORMAT_JPEG) {
    TJ tj(false);
    if (!tj.h) return fail("tjInitDecompress failed");
    int w = 0, h = 0, cs = 0;
    if (jpeg_header(tj.h, data, size, &w, &h, &cs) != 0) return -1;
    // Default flags = accurate integer DCT and fancy upsampling, as cv2.imread's libjpeg setup.
    if (cs == TJCS_CMYK || cs == TJCS_YCCK) {
      std::vector<uint8_t> cmyk((size_t)out_w * out_h * 4);
      if (tjDecompress2(tj.h, data, (unsigned long)size, cmyk.data(), out_w, 0, out_h, TJPF_CMYK, 0) != 0)
        return fail(std::string("corrupt or truncated JPEG: ") + tjGetErrorStr2(tj.h));
      cmyk_to_rgb(cmyk.data(), (size_t)out_w * out_h, dst);
      return 0;
    }
    // A warning (premature end of data, corrupt segment) also returns -1: a damaged file is an error here.
    if (tjDecompress2(tj.h, data, (unsigned long)size, dst, out_w, 0, out_h, TJPF_RGB, 0) != 0)
      return fail(std::string("corrupt or truncated JPEG: ") + tjGetErrorStr2(tj.h));
    return 0;
  }
  if (kind == CI_FORMAT_PNG) {
    png_image img;
    if (png_begin(&img, data, size) != 0) return -1;
    if ((int)img.width != out_w || (int)img.height != out_h) {
      png_image_free(&img);
      return fail("PNG size differs from the decode plan");
    }
    // Read RGBA and drop alpha, as cv2.imread(IMREAD_COLOR) does, rather than compositing.
    img.format = PNG_FORMAT_RGBA;
    std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, nullptr, rgba.data(), 0, nullptr)) {
      std::string why = std::string("corrupt or truncated PNG: ") + img.message;
      png_image_free(&img);
      return fail(why);
    }
    size_t n = (size_t)out_w * out_h;
    for (size_t i = 0; i < n; i++) std::memcpy(dst + 3 * i, rgba.data() + 4 * i, 3);
    return 0;
  }
  return fail("not a JPEG or PNG file (unknown signature)");
}

int ci_jpeg_compress(const uint8_t *rgb, int w, int h, int quality, uint8_t **out, size_t *out_size) {
  TJ tj(true);
  if (!tj.h) return fail("tjInitCompress failed");
  unsigned char *buf = nullptr;
  unsigned long len = 0;
  if (tjCompress2(tj.h, rgb, w, 0, h, TJPF_RGB, &buf, &len, TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0)
    return fail(std::string("JPEG encoding failed: ") + tjGetErrorStr2(tj.h));
  *out = (uint8_t *)std::malloc(len);
  if (!*out) {
    tjFree(buf);
    return fail("out of memory");
  }
  std::memcpy(*out, buf, len);
  *out_size = len;
  tjFree(buf);
  return 0;
}

int ci_png_compress(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_size) {
  png_image img;
  std::memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  img.width = (png_uint_32)w;
  img.height = (png_uint_32)h;
  img.format = PNG_FORMAT_RGB;
  png_alloc_size_t len = 0;
  if (!png_image_write_to_memory(&img, nullptr, &len, 0, rgb, 0, nullptr))
    return fail(std::string("PNG encoding failed: ") + img.message);
  *out = (uint8_t *)std::malloc(len);
  if (!*out) return fail("out of memory");
  if (!png_image_write_to_memory(&img, *out, &len, 0, rgb, 0, nullptr)) {
    std::free(*out);
    return fail(std::string("PNG encoding failed: ") + img.message);
  }
  *out_size = len;
  return 0;
}
}
