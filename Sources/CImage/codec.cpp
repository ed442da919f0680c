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

// The Orientation tag (1-8) of an EXIF block (a TIFF header and IFD0) of tn bytes; 1 when absent or
// unreadable. Every offset comes from the file and is checked against the block before it is read.
int tiff_orientation(const uint8_t *t, size_t tn) {
  if (tn < 8) return 1;
  bool le = t[0] == 'I' && t[1] == 'I';
  if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
  auto u16 = [&](size_t o) -> uint32_t { return le ? t[o] | t[o + 1] << 8 : t[o] << 8 | t[o + 1]; };
  auto u32 = [&](size_t o) -> uint32_t {
    return le ? (uint32_t)t[o] | (uint32_t)t[o + 1] << 8 | (uint32_t)t[o + 2] << 16 | (uint32_t)t[o + 3] << 24
              : (uint32_t)t[o] << 24 | (uint32_t)t[o + 1] << 16 | (uint32_t)t[o + 2] << 8 | (uint32_t)t[o + 3];
  };
  if (u16(2) != 42) return 1;
  size_t ifd = u32(4);
  if (ifd > tn || tn - ifd < 2) return 1;
  size_t count = u16(ifd);
  for (size_t k = 0; k < count; k++) {
    size_t e = ifd + 2 + 12 * k;
    if (e > tn || tn - e < 12) return 1;
    if (u16(e) == 0x0112) {
      uint32_t type = u16(e + 2);
      uint32_t v = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : 1;  // SHORT (the standard) or LONG
      return v >= 1 && v <= 8 ? (int)v : 1;
    }
  }
  return 1;
}

// The EXIF orientation of a JPEG (APP1 "Exif" segment) or a PNG (eXIf chunk before IDAT); 1 when there is
// none. cv2.imread applies it by default, so the pixels the original trained on are the turned ones.
int file_orientation(int kind, const uint8_t *data, size_t size) {
  if (kind == CI_FORMAT_JPEG) {
    size_t i = 2;  // after SOI
    while (i + 4 <= size) {
      if (data[i] != 0xFF) return 1;
      uint8_t marker = data[i + 1];
      if (marker == 0xFF) { i++; continue; }  // fill byte
      if (marker == 0xDA || marker == 0xD9) return 1;  // start of scan / end of image: no more headers
      size_t len = ((size_t)data[i + 2] << 8) | data[i + 3];
      if (len < 2 || len > size - i - 2) return 1;
      const uint8_t *seg = data + i + 4;
      size_t n = len - 2;
      if (marker == 0xE1 && n >= 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) return tiff_orientation(seg + 6, n - 6);
      i += 2 + len;
    }
  } else if (kind == CI_FORMAT_PNG) {
    size_t i = 8;  // after the signature
    while (size >= 12 && i <= size - 12) {
      size_t len = (size_t)data[i] << 24 | (size_t)data[i + 1] << 16 | (size_t)data[i + 2] << 8 | data[i + 3];
      if (len > size - i - 12) return 1;
      const uint8_t *type = data + i + 4;
      if (std::memcmp(type, "IDAT", 4) == 0 || std::memcmp(type, "IEND", 4) == 0) return 1;
      if (std::memcmp(type, "eXIf", 4) == 0) return tiff_orientation(data + i + 8, len);
      i += 12 + len;
    }
  }
  return 1;
}

// The dihedral code of ci_dihedral_lut (bit0 transpose, bit1 vertical flip, bit2 horizontal flip) that
// turns stored pixels into displayed ones, as OpenCV's ExifTransform does for orientations 1-8.
int orientation_code(int orientation) {
  static const int codes[9] = {0, 0, 4, 6, 2, 1, 5, 7, 3};
  return orientation >= 1 && orientation <= 8 ? codes[orientation] : 0;
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
    bool transposed = orientation_code(file_orientation(kind, data, size)) & 1;
    *stored_w = transposed ? h : w;
    *stored_h = transposed ? w : h;
    *out_w = TJSCALED(transposed ? h : w, f);
    *out_h = TJSCALED(transposed ? w : h, f);
    return 0;
  }
  if (kind == CI_FORMAT_PNG) {
    png_image img;
    if (png_begin(&img, data, size) != 0) return -1;
    bool transposed = orientation_code(file_orientation(kind, data, size)) & 1;
    *stored_w = *out_w = (int)(transposed ? img.height : img.width);
    *stored_h = *out_h = (int)(transposed ? img.width : img.height);
    png_image_free(&img);
    return 0;
  }
  return fail("not a JPEG or PNG file (unknown signature)");
}
}  // extern "C"

namespace {
// The JPEG decode proper: into dst at the stored orientation, w x h being the scaled stored size.
int decode_jpeg(tjhandle h, const uint8_t *data, size_t size, int cs, int w, int hh, uint8_t *dst) {
  // Default flags = accurate integer DCT and fancy upsampling, as cv2.imread's libjpeg setup.
  if (cs == TJCS_CMYK || cs == TJCS_YCCK) {
    std::vector<uint8_t> cmyk((size_t)w * hh * 4);
    if (tjDecompress2(h, data, (unsigned long)size, cmyk.data(), w, 0, hh, TJPF_CMYK, 0) != 0)
      return fail(std::string("corrupt or truncated JPEG: ") + tjGetErrorStr2(h));
    cmyk_to_rgb(cmyk.data(), (size_t)w * hh, dst);
    return 0;
  }
  // A warning (premature end of data, corrupt segment) also returns -1: a damaged file is an error here.
  if (tjDecompress2(h, data, (unsigned long)size, dst, w, 0, hh, TJPF_RGB, 0) != 0)
    return fail(std::string("corrupt or truncated JPEG: ") + tjGetErrorStr2(h));
  return 0;
}

// Decodes at the stored orientation into dst (w x h x 3, the plan's size before any turn).
int decode_stored(int kind, const uint8_t *data, size_t size, int w, int h, uint8_t *dst) {
  if (kind == CI_FORMAT_JPEG) {
    TJ tj(false);
    if (!tj.h) return fail("tjInitDecompress failed");
    int sw = 0, sh = 0, cs = 0;
    if (jpeg_header(tj.h, data, size, &sw, &sh, &cs) != 0) return -1;
    return decode_jpeg(tj.h, data, size, cs, w, h, dst);
  }
  png_image img;
  if (png_begin(&img, data, size) != 0) return -1;
  if ((int)img.width != w || (int)img.height != h) {
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
  size_t n = (size_t)w * h;
  for (size_t i = 0; i < n; i++) std::memcpy(dst + 3 * i, rgba.data() + 4 * i, 3);
  return 0;
}

int decode(const uint8_t *data, size_t size, int out_w, int out_h, uint8_t *dst) {
  int kind = sniff(data, size);
  if (kind == 0) return fail("not a JPEG or PNG file (unknown signature)");
  int code = orientation_code(file_orientation(kind, data, size));
  if (code == 0) return decode_stored(kind, data, size, out_w, out_h, dst);
  // The plan gave the displayed size; decode at the stored one, then turn the pixels as cv2.imread does.
  int sw = code & 1 ? out_h : out_w, sh = code & 1 ? out_w : out_h;
  std::vector<uint8_t> stored((size_t)sw * sh * 3);
  if (decode_stored(kind, data, size, sw, sh, stored.data()) != 0) return -1;
  return ci_dihedral_lut(stored.data(), sh, sw, code, nullptr, dst);
}
}  // namespace

extern "C" {
int ci_decode(const uint8_t *data, size_t size, int out_w, int out_h, uint8_t *dst) {
  // A failed allocation (std::bad_alloc) must not cross the C boundary.
  try {
    return decode(data, size, out_w, out_h, dst);
  } catch (const std::exception &e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown C++ exception while decoding");
  }
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
