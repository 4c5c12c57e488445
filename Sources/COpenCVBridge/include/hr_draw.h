// Pictures: PNG/JPEG encoding and the few drawing calls Render needs.
//
// Conventions (all functions):
// - Images are 8-bit, interleaved, tightly packed rows (stride = width * channels), owned by the
//   caller. Three-channel images are RGB: drawing writes colours in the order given, and the
//   functions that meet OpenCV's BGR world (encode, decode, colour map) swap channels inside, so
//   the caller never sees BGR.
// - Return 0 on success; otherwise a non-zero HR_DRAW_* code, with a message written to `err`
//   (at most `err_cap` bytes, NUL-terminated). Every C++ exception is caught here; nothing aborts.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    HR_DRAW_OK = 0,
    HR_DRAW_ERROR = 1,           ///< OpenCV refused (message says why) or an argument is invalid.
    HR_DRAW_BUFFER_TOO_SMALL = 2 ///< Output buffer too small; `*out_len` holds the size needed.
};

enum { HR_FORMAT_PNG = 0, HR_FORMAT_JPEG = 1 };
enum { HR_INTERP_NEAREST = 0, HR_INTERP_LINEAR = 1, HR_INTERP_CUBIC = 2 };

/// Encodes an RGB (channels 3) or grey (channels 1) image as PNG (`quality` = compression level
/// 0–9) or JPEG (`quality` 0–100) into `out`. If `out_cap` is too small, returns
/// HR_DRAW_BUFFER_TOO_SMALL with the needed size in `*out_len`, so the caller can grow and retry.
int hr_encode_image(const uint8_t *pixels, int width, int height, int channels, int format,
                    int quality, uint8_t *out, size_t out_cap, size_t *out_len,
                    char *err, size_t err_cap);

/// Decodes a PNG/JPEG (our own pictures, for round-trip checks) as RGB into `out`
/// (width*height*3 bytes). Sets `*width`, `*height` always; returns HR_DRAW_BUFFER_TOO_SMALL
/// when `out_cap` is short, so a first call with `out_cap` 0 asks for the size.
int hr_picture_decode_rgb(const uint8_t *bytes, size_t len, uint8_t *out, size_t out_cap,
                          int *width, int *height, char *err, size_t err_cap);

/// A straight line, anti-aliased, `thickness` pixels wide, in colour (c0, c1, c2).
int hr_draw_line(uint8_t *canvas, int width, int height, int channels, double x0, double y0,
                 double x1, double y1, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                 char *err, size_t err_cap);

/// A circle; `thickness` < 0 fills it.
int hr_draw_circle(uint8_t *canvas, int width, int height, int channels, double cx, double cy,
                   double radius, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                   char *err, size_t err_cap);

/// An axis-aligned rectangle with corners (x0, y0) and (x1, y1) inclusive; `thickness` < 0 fills it.
int hr_draw_rect(uint8_t *canvas, int width, int height, int channels, int x0, int y0, int x1,
                 int y1, uint8_t c0, uint8_t c1, uint8_t c2, int thickness, char *err, size_t err_cap);

/// A filled polygon through `count` points given as interleaved x, y.
int hr_fill_polygon(uint8_t *canvas, int width, int height, int channels, const double *xy,
                    int count, uint8_t c0, uint8_t c1, uint8_t c2, char *err, size_t err_cap);

/// A filled ellipse centred at (cx, cy) with half-axes (ax, ay), rotated by `angle` degrees.
int hr_fill_ellipse(uint8_t *canvas, int width, int height, int channels, double cx, double cy,
                    double ax, double ay, double angle, uint8_t c0, uint8_t c1, uint8_t c2,
                    char *err, size_t err_cap);

/// Text in OpenCV's Hershey simplex font, anti-aliased; (x, y) is the left end of the baseline.
int hr_draw_text(uint8_t *canvas, int width, int height, int channels, const char *text, int x,
                 int y, double scale, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                 char *err, size_t err_cap);

/// The box the text above would occupy: width, height above the baseline, and the descent below it.
int hr_text_size(const char *text, double scale, int thickness, int *width, int *height,
                 int *baseline, char *err, size_t err_cap);

/// Resizes an 8-bit image with `channels` channels from (sw, sh) to (dw, dh).
int hr_resize_u8(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst, int dw, int dh,
                 int interpolation, char *err, size_t err_cap);

/// Maps grey levels through OpenCV's COLORMAP_JET: `count` grey bytes in, `count` RGB triples out.
int hr_colormap_jet(const uint8_t *grey, size_t count, uint8_t *rgb, char *err, size_t err_cap);

/// Gaussian blur in place (sigma in pixels, kernel size derived from it), for synthetic textures.
int hr_gaussian_blur(uint8_t *image, int width, int height, int channels, double sigma,
                     char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif
