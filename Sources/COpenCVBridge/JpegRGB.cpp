// Direct libjpeg decoding to RGB (see JpegRGB.h). libjpeg reports fatal errors by calling
// error_exit, which must not return: we longjmp back. Only plain C data lives in these frames.
#include "JpegRGB.h"
#include <stdlib.h>
#include <string.h>

namespace {

void escape(j_common_ptr cinfo) {
    auto *errors = reinterpret_cast<hr_jpeg_rgb::Errors *>(cinfo->err);
    longjmp(errors->escape, 1);
}

/// Warnings (e.g. "premature end of data", decoded with grey fill as in OpenCV) change no pixels;
/// OpenCV prints them to stderr, we stay quiet (ImageReader already refuses truncated files).
void quiet(j_common_ptr, int) {}

void reset(hr_jpeg_rgb *j) {
    jpeg_abort_decompress(&j->cinfo);
    j->started = false;
    j->decompressing = false;
}

/// Whether a window decode of this kind of JPEG is proven to give the full decode's pixels
/// (WindowDecodeTests makes every kind listed and compares): greyscale, or Huffman-coded YCbCr
/// with 1×1 chroma under 1×1, 2×1, 1×2, 2×2 or 4×1 luma (4:4:4, 4:2:2, 4:4:0, 4:2:0, 4:1:1).
/// libjpeg-turbo 2.1's "fancy" (triangle) chroma upsampling of 2× ratios treats a
/// jpeg_crop_scanline edge as the image border, so the crop's first and last columns differ from
/// the full decode (measured: never any other column); 4:1:1 chroma is replicated (no filter);
/// jpeg_skip_scanlines decodes the context rows the vertical filter needs, so rows are exact.
/// Everything else (CMYK/YCCK, arithmetic coding, 12-bit, other samplings) decodes whole.
bool window_kind(const jpeg_decompress_struct &c) {
    if (c.arith_code || c.data_precision != 8 || c.CCIR601_sampling) return false;
    if (c.num_components == 1) return c.jpeg_color_space == JCS_GRAYSCALE;
    if (c.num_components != 3 || c.jpeg_color_space != JCS_YCbCr) return false;
    const jpeg_component_info *k = c.comp_info;
    for (int ci = 1; ci < 3; ci++)
        if (k[ci].h_samp_factor != 1 || k[ci].v_samp_factor != 1) return false;
    const int h = k[0].h_samp_factor, v = k[0].v_samp_factor;
    return (h <= 2 && v <= 2) || (h == 4 && v == 1);
}

/// A single-scan JPEG whose entropy-coded data, from `p` on, runs to the EOI marker with no
/// marker but restarts (RST0–7) on the way. A full decode then reads nothing after the scan that
/// could raise an error, so a window decode that stops early refuses exactly what it refuses.
/// (Bytes FF 00 are stuffed data; FF FF… is fill before a marker.)
bool scan_runs_to_eoi(const uint8_t *p, size_t n) {
    const uint8_t *end = p + n;
    while ((p = static_cast<const uint8_t *>(memchr(p, 0xFF, size_t(end - p)))) != nullptr) {
        while (p < end && *p == 0xFF) p++;
        if (p == end) return false;
        const uint8_t marker = *p++;
        if (marker == 0xD9) return true;
        if (marker != 0x00 && (marker < 0xD0 || marker > 0xD7)) return false;
    }
    return false;
}

/// Progressive JPEGs: every bit of every coefficient arrived (coef_bits all 0 after the input is
/// consumed). Otherwise libjpeg smooths blocks from their neighbours' DC values, which a cropped
/// decode does not reproduce (tens of pixels deep: the tests' incomplete-script image).
bool coefficients_complete(const jpeg_decompress_struct &c) {
    for (int ci = 0; ci < c.num_components; ci++)
        for (int k = 0; k < DCTSIZE2; k++)
            if (c.coef_bits[ci][k] != 0) return false;
    return true;
}

void whole(const hr_jpeg_rgb *j, int stored[4]) {
    stored[0] = 0; stored[1] = 0;
    stored[2] = int(j->cinfo.image_width); stored[3] = int(j->cinfo.image_height);
}

} // namespace

void hr_jpeg_init(hr_jpeg_rgb *j) {
    j->cinfo.err = jpeg_std_error(&j->errors.pub);
    j->errors.pub.error_exit = escape;
    j->errors.pub.emit_message = quiet;
    jpeg_create_decompress(&j->cinfo);
}

void hr_jpeg_destroy(hr_jpeg_rgb *j) { jpeg_destroy_decompress(&j->cinfo); }

bool hr_jpeg_read_header(hr_jpeg_rgb *j, const uint8_t *data, size_t size, int *width, int *height) {
    if (j->started) reset(j);   // a header read whose pixels were never asked for
    // OpenCV picks its JPEG reader by the FF D8 FF signature; anything else goes to OpenCV.
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) return false;
    if (setjmp(j->errors.escape)) {
        reset(j);
        return false;
    }
    jpeg_mem_src(&j->cinfo, data, (unsigned long)size);
    if (jpeg_read_header(&j->cinfo, TRUE) != JPEG_HEADER_OK) {
        reset(j);
        return false;
    }
    // CMYK/YCCK (4 components) are converted by OpenCV itself: leave them to it.
    const J_COLOR_SPACE in = j->cinfo.jpeg_color_space;
    if (!(in == JCS_YCbCr && j->cinfo.num_components == 3) && !(in == JCS_GRAYSCALE && j->cinfo.num_components == 1)) {
        reset(j);
        return false;
    }
    j->cinfo.out_color_space = JCS_RGB;   // what OpenCV 4.6 requests for IMREAD_COLOR
    j->cinfo.out_color_components = 3;
    *width = int(j->cinfo.image_width);
    *height = int(j->cinfo.image_height);
    j->x0 = 0; j->y0 = 0; j->x1 = *width; j->y1 = *height;
    j->started = true;
    return true;
}

bool hr_jpeg_window(hr_jpeg_rgb *j, int x0, int y0, int x1, int y1, int stored[4], int exact[4]) {
    if (!j->started || j->decompressing) return false;
    const int w = int(j->cinfo.image_width), h = int(j->cinfo.image_height);
    if (x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 >= x1 || y0 >= y1) return false;
    whole(j, stored);
    whole(j, exact);
    const bool single_scan = !jpeg_has_multiple_scans(&j->cinfo);
    if (!window_kind(j->cinfo)) return true;
    if (single_scan && !scan_runs_to_eoi(j->cinfo.src->next_input_byte, j->cinfo.src->bytes_in_buffer)) return true;
    if (setjmp(j->errors.escape)) {
        reset(j);
        return false;
    }
    jpeg_start_decompress(&j->cinfo);   // a progressive image is entropy-decoded whole here
    j->decompressing = true;
    if (!single_scan && !(j->cinfo.progressive_mode && coefficients_complete(j->cinfo))) return true;
    // One more column each side than asked: the edge column of a crop is upsampled as a border.
    JDIMENSION left = JDIMENSION(x0 > 0 ? x0 - 1 : 0);
    const JDIMENSION right = JDIMENSION(x1 < w ? x1 + 1 : w);
    JDIMENSION width = right - left;
    jpeg_crop_scanline(&j->cinfo, &left, &width);   // moves `left` down to an iMCU column boundary
    j->x0 = int(left); j->x1 = int(left + width); j->y0 = y0; j->y1 = y1;
    stored[0] = j->x0; stored[1] = y0; stored[2] = j->x1; stored[3] = y1;
    exact[0] = j->x0 > 0 ? j->x0 + 1 : 0;
    exact[1] = y0;
    exact[2] = j->x1 < w ? j->x1 - 1 : w;
    exact[3] = y1;
    return true;
}

bool hr_jpeg_read_rgb(hr_jpeg_rgb *j, uint8_t *rgb) {
    if (!j->started) return false;
    if (setjmp(j->errors.escape)) {
        reset(j);
        return false;
    }
    if (!j->decompressing) jpeg_start_decompress(&j->cinfo);
    j->decompressing = true;
    const size_t stride = size_t(j->x1 - j->x0) * 3;
    // Rows above the window: entropy-decoded only (no IDCT, upsampling or colour conversion).
    if (j->y0 > 0) jpeg_skip_scanlines(&j->cinfo, JDIMENSION(j->y0));
    while (j->cinfo.output_scanline < JDIMENSION(j->y1)) {
        JSAMPROW row = rgb + size_t(j->cinfo.output_scanline - JDIMENSION(j->y0)) * stride;
        jpeg_read_scanlines(&j->cinfo, &row, 1);
    }
    // Rows below the window are never decoded (hr_jpeg_window made sure nothing there can fail).
    if (j->cinfo.output_scanline < j->cinfo.output_height) {
        jpeg_abort_decompress(&j->cinfo);
    } else {
        jpeg_finish_decompress(&j->cinfo);
    }
    j->started = false;
    j->decompressing = false;
    return true;
}

namespace {

struct Encoder {
    jpeg_compress_struct cinfo;
    hr_jpeg_rgb::Errors errors;
};

} // namespace

bool hr_jpeg_encode(const uint8_t *rgb, int width, int height, int components, int h_samp, int v_samp,
                    int progressive, int restart_rows, int quality, uint8_t **out, size_t *out_size) {
    if (rgb == nullptr || out == nullptr || out_size == nullptr || width <= 0 || height <= 0) return false;
    if (!(components == 1 || components == 3 || components == 4)) return false;
    if (h_samp < 1 || h_samp > 4 || v_samp < 1 || v_samp > 4) return false;
    Encoder e;
    e.cinfo.err = jpeg_std_error(&e.errors.pub);
    e.errors.pub.error_exit = escape;
    e.errors.pub.emit_message = quiet;
    unsigned char *buffer = nullptr;
    unsigned long length = 0;
    // CMYK (a test kind) is made from the RGB row by row: C = 255 − R, M = 255 − G, Y = 255 − B,
    // K = 255 − max(R, G, B).
    const bool cmyk = components == 4;
    unsigned char *const cmyk_row = cmyk ? static_cast<unsigned char *>(malloc(size_t(width) * 4)) : nullptr;
    if (cmyk && cmyk_row == nullptr) return false;
    jpeg_create_compress(&e.cinfo);
    if (setjmp(e.errors.escape)) {
        jpeg_destroy_compress(&e.cinfo);
        free(buffer);
        free(cmyk_row);
        return false;
    }
    jpeg_mem_dest(&e.cinfo, &buffer, &length);
    e.cinfo.image_width = JDIMENSION(width);
    e.cinfo.image_height = JDIMENSION(height);
    e.cinfo.input_components = cmyk ? 4 : 3;
    e.cinfo.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&e.cinfo);
    jpeg_set_quality(&e.cinfo, quality, TRUE);
    if (components == 1) {
        jpeg_set_colorspace(&e.cinfo, JCS_GRAYSCALE);
    } else if (!cmyk) {
        e.cinfo.comp_info[0].h_samp_factor = h_samp;
        e.cinfo.comp_info[0].v_samp_factor = v_samp;
    }
    // Incomplete script (3 components only): DC of all components with the lowest bit never
    // refined, then luma AC 1–5 likewise; chroma AC is never sent.
    static const jpeg_scan_info incomplete[2] = {{3, {0, 1, 2, 0}, 0, 0, 0, 1}, {1, {0, 0, 0, 0}, 1, 5, 0, 1}};
    if (progressive == 1) jpeg_simple_progression(&e.cinfo);
    if (progressive == 2 && components == 3) {
        e.cinfo.scan_info = incomplete;
        e.cinfo.num_scans = 2;
    }
    e.cinfo.restart_in_rows = restart_rows;
    jpeg_start_compress(&e.cinfo, TRUE);
    while (e.cinfo.next_scanline < e.cinfo.image_height) {
        JSAMPROW row = const_cast<uint8_t *>(rgb) + size_t(e.cinfo.next_scanline) * size_t(width) * 3;
        if (cmyk) {
            for (int x = 0; x < width; x++) {
                const uint8_t r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
                const uint8_t k = uint8_t(255 - (r > g ? (r > b ? r : b) : (g > b ? g : b)));
                cmyk_row[4 * x] = uint8_t(255 - r); cmyk_row[4 * x + 1] = uint8_t(255 - g);
                cmyk_row[4 * x + 2] = uint8_t(255 - b); cmyk_row[4 * x + 3] = k;
            }
            row = cmyk_row;
        }
        jpeg_write_scanlines(&e.cinfo, &row, 1);
    }
    free(cmyk_row);
    jpeg_finish_compress(&e.cinfo);
    jpeg_destroy_compress(&e.cinfo);
    *out = buffer;
    *out_size = size_t(length);
    return true;
}
