// Direct libjpeg decoding to RGB (see JpegRGB.h). libjpeg reports fatal errors by calling
// error_exit, which must not return: we longjmp back. Only plain C data lives in these frames.
#include "JpegRGB.h"

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
    j->started = true;
    return true;
}

bool hr_jpeg_read_rgb(hr_jpeg_rgb *j, uint8_t *rgb) {
    if (!j->started) return false;
    if (setjmp(j->errors.escape)) {
        reset(j);
        return false;
    }
    jpeg_start_decompress(&j->cinfo);
    const size_t stride = size_t(j->cinfo.output_width) * 3;
    while (j->cinfo.output_scanline < j->cinfo.output_height) {
        JSAMPROW row = rgb + size_t(j->cinfo.output_scanline) * stride;
        jpeg_read_scanlines(&j->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&j->cinfo);
    j->started = false;
    return true;
}
