// cimage_encode.h: the small JPEG pieces the data layer needs (synthetic images, file probing).
// Kept apart from cimage.h so the images branch owns that header; deduplicate when both land.
#ifndef CIMAGE_ENCODE_H
#define CIMAGE_ENCODE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// Encodes an RGB8 buffer (h rows of w*3 bytes) as a baseline 4:2:0 JPEG. Returns 0 on success; on failure
/// returns -1 and sets *err to a malloc'd message (free it with ci_free_buffer).
int ci_encode_jpeg_rgb(const uint8_t *rgb, int w, int h, int quality, uint8_t **out, size_t *outlen, char **err);
/// Reads a JPEG header from the first bytes of a file. Returns 0 and the size on success, -1 and *err otherwise.
int ci_probe_jpeg(const uint8_t *buf, size_t len, int *w, int *h, char **err);
void ci_free_buffer(void *p);
#ifdef __cplusplus
}
#endif
#endif
