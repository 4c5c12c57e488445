// Direct libjpeg(-turbo) decoding to RGB for the image bridge (Image.cpp); internal, not exported.
#pragma once
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>   // jpeglib.h needs FILE and size_t declared first
#include <jpeglib.h>

/// One libjpeg decompressor, reused from image to image. OpenCV 4.6's JPEG reader asks libjpeg for
/// JCS_RGB and then swaps every pixel to BGR in a byte-by-byte loop, which our bridge swapped back:
/// ~17% of build-shards' CPU. Reading the same library with the same settings (the defaults:
/// JDCT_ISLOW, fancy upsampling; only out_color_space = JCS_RGB, as OpenCV sets it) gives the same
/// pixels, already in RGB, written straight into the caller's buffer.
struct hr_jpeg_rgb {
    struct jpeg_decompress_struct cinfo;
    struct Errors {
        struct jpeg_error_mgr pub;
        jmp_buf escape;
    } errors;
    bool started = false;        ///< a header is read and waiting for hr_jpeg_read_rgb
    bool decompressing = false;  ///< jpeg_start_decompress has run (hr_jpeg_window)
    /// The rows and columns hr_jpeg_read_rgb delivers (the whole image unless hr_jpeg_window cropped).
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

void hr_jpeg_init(hr_jpeg_rgb *j);
void hr_jpeg_destroy(hr_jpeg_rgb *j);

/// Reads the header of `data` (which must stay valid until hr_jpeg_read_rgb). Returns false, with
/// the decompressor reset, when the bytes are not a baseline/progressive JPEG of 1 or 3 components
/// that libjpeg converts to RGB: the caller then decodes with OpenCV, exactly as before.
bool hr_jpeg_read_header(hr_jpeg_rgb *j, const uint8_t *data, size_t size, int *width, int *height);

/// Restricts the coming hr_jpeg_read_rgb to the part of the image that covers the columns
/// [x0, x1) and rows [y0, y1) (non-empty, inside the image) with the same pixels a full decode
/// gives there. `stored` gets the rectangle (x0, y0, x1, y1) that hr_jpeg_read_rgb will write
/// (rows packed), `exact` the part of it equal to the full decode (it contains the request).
/// Kinds whose window decode is not proven exact keep the whole image (stored = exact = all).
/// Returns false on a libjpeg error (the decompressor is reset).
bool hr_jpeg_window(hr_jpeg_rgb *j, int x0, int y0, int x1, int y1, int stored[4], int exact[4]);

/// Decodes the image (or the window set by hr_jpeg_window) whose header was read into `rgb`
/// ((x1−x0)·(y1−y0)·3 bytes, rows packed). Returns false on a libjpeg error (the decompressor is
/// reset either way).
bool hr_jpeg_read_rgb(hr_jpeg_rgb *j, uint8_t *rgb);

/// The JPEG encoder behind hr_jpeg_encode_kind (hr_image.h), for the window-decode tests.
bool hr_jpeg_encode(const uint8_t *rgb, int width, int height, int components, int h_samp, int v_samp,
                    int progressive, int restart_rows, int quality, uint8_t **out, size_t *out_size);
