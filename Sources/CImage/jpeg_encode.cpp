#include "cimage_encode.h"
#include <cstdlib>
#include <cstring>
#include <turbojpeg.h>

static char *ci_copy_message(const char *msg) {
  size_t n = std::strlen(msg);
  char *s = static_cast<char *>(std::malloc(n + 1));
  if (s) std::memcpy(s, msg, n + 1);
  return s;
}

extern "C" {
int ci_encode_jpeg_rgb(const uint8_t *rgb, int w, int h, int quality, uint8_t **out, size_t *outlen, char **err) {
  *out = nullptr;
  *outlen = 0;
  if (err) *err = nullptr;
  tjhandle tj = tjInitCompress();
  if (!tj) {
    if (err) *err = ci_copy_message(tjGetErrorStr());
    return -1;
  }
  unsigned char *buf = nullptr;
  unsigned long len = 0;
  int rc = tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &buf, &len, TJSAMP_420, quality, 0);
  if (rc != 0) {
    if (err) *err = ci_copy_message(tjGetErrorStr2(tj));
    if (buf) tjFree(buf);
    tjDestroy(tj);
    return -1;
  }
  // Copy into malloc'd memory so one free function serves every buffer handed to Swift.
  *out = static_cast<uint8_t *>(std::malloc(len));
  if (!*out) {
    if (err) *err = ci_copy_message("out of memory");
    tjFree(buf);
    tjDestroy(tj);
    return -1;
  }
  std::memcpy(*out, buf, len);
  *outlen = len;
  tjFree(buf);
  tjDestroy(tj);
  return 0;
}

int ci_probe_jpeg(const uint8_t *buf, size_t len, int *w, int *h, char **err) {
  if (err) *err = nullptr;
  tjhandle tj = tjInitDecompress();
  if (!tj) {
    if (err) *err = ci_copy_message(tjGetErrorStr());
    return -1;
  }
  int sub = 0, cs = 0;
  int rc = tjDecompressHeader3(tj, buf, static_cast<unsigned long>(len), w, h, &sub, &cs);
  if (rc != 0 && err) *err = ci_copy_message(tjGetErrorStr2(tj));
  tjDestroy(tj);
  return rc == 0 ? 0 : -1;
}

void ci_free_buffer(void *p) { std::free(p); }
}
