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
    bool started = false;   ///< a header is read and waiting for hr_jpeg_read_rgb
};

void hr_jpeg_init(hr_jpeg_rgb *j);
void hr_jpeg_destroy(hr_jpeg_rgb *j);

/// Reads the header of `data` (which must stay valid until hr_jpeg_read_rgb). Returns false, with
/// the decompressor reset, when the bytes are not a baseline/progressive JPEG of 1 or 3 components
/// that libjpeg converts to RGB: the caller then decodes with OpenCV, exactly as before.
bool hr_jpeg_read_header(hr_jpeg_rgb *j, const uint8_t *data, size_t size, int *width, int *height);

/// Decodes the image whose header was read into `rgb` (width*height*3 bytes, rows packed).
/// Returns false on a libjpeg error (the decompressor is reset either way).
bool hr_jpeg_read_rgb(hr_jpeg_rgb *j, uint8_t *rgb);
