// The image half of the OpenCV bridge (see hr_image.h): every entry point catches everything.
#include "hr_image.h"
#include "JpegRGB.h"
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

struct hr_decoder {
    /// Baseline/progressive YCbCr or grey JPEGs: libjpeg straight to RGB (see JpegRGB.h).
    hr_jpeg_rgb jpeg;
    /// Everything else (PNG, CMYK JPEG, ...): OpenCV's BGR decode, converted on the copy.
    cv::Mat bgr;
    bool bgr_pending = false;   ///< bgr holds the image hr_decode started
    int width = 0, height = 0;
    /// What hr_decoder_read_rgb writes: (x0, y0, x1, y1), the whole image unless windowed.
    int stored[4] = {0, 0, 0, 0};

    hr_decoder() { hr_jpeg_init(&jpeg); }
    ~hr_decoder() { hr_jpeg_destroy(&jpeg); }
    hr_decoder(const hr_decoder &) = delete;
    hr_decoder &operator=(const hr_decoder &) = delete;
};

namespace {

void set_error(char *err, size_t cap, const char *message) {
    if (err == nullptr || cap == 0) return;
    std::snprintf(err, cap, "%s", message);
}

/// Runs `body`, turning any exception into an error code and message.
template <typename F> int guarded(char *err, size_t cap, F body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        set_error(err, cap, e.what());
        return HR_IMAGE_OPENCV_ERROR;
    } catch (const std::exception &e) {
        set_error(err, cap, e.what());
        return HR_IMAGE_OPENCV_ERROR;
    } catch (...) {
        set_error(err, cap, "unknown C++ exception");
        return HR_IMAGE_OPENCV_ERROR;
    }
}

void whole(const hr_decoder *decoder, int rect[4]) {
    rect[0] = 0; rect[1] = 0; rect[2] = decoder->width; rect[3] = decoder->height;
}

size_t stored_bytes(const hr_decoder *decoder) {
    return size_t(decoder->stored[2] - decoder->stored[0]) * size_t(decoder->stored[3] - decoder->stored[1]) * 3;
}

} // namespace

extern "C" {

const char *hr_cv_version(void) { return CV_VERSION; }

void hr_cv_set_threads(int n) {
    try {
        cv::setNumThreads(n);
    } catch (...) {
        // cv::setNumThreads does not throw in practice; a failure leaves the old setting.
    }
}

hr_decoder *hr_decoder_create(void) {
    try {
        return new hr_decoder();
    } catch (...) {
        return nullptr;
    }
}

void hr_decoder_destroy(hr_decoder *decoder) { delete decoder; }

int hr_decode(hr_decoder *decoder, const uint8_t *data, size_t size, int *width, int *height,
              char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        if (decoder == nullptr || data == nullptr || size == 0 || size > size_t(INT32_MAX)) {
            set_error(err, err_cap, "empty or oversized input");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        decoder->bgr_pending = false;
        if (hr_jpeg_read_header(&decoder->jpeg, data, size, &decoder->width, &decoder->height)) {
            *width = decoder->width;
            *height = decoder->height;
            whole(decoder, decoder->stored);
            return HR_IMAGE_OK;
        }
        const cv::Mat buffer(1, int(size), CV_8UC1, const_cast<uint8_t *>(data));
        // imdecode with a destination reuses decoder->bgr's allocation when the size matches.
        cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION, &decoder->bgr);
        if (decoder->bgr.empty() || decoder->bgr.type() != CV_8UC3) {
            set_error(err, err_cap, "not a decodable image");
            return HR_IMAGE_UNDECODABLE;
        }
        decoder->bgr_pending = true;
        *width = decoder->width = decoder->bgr.cols;
        *height = decoder->height = decoder->bgr.rows;
        whole(decoder, decoder->stored);
        return HR_IMAGE_OK;
    });
}

int hr_decoder_read_rgb(hr_decoder *decoder, uint8_t *rgb, size_t capacity, char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        const bool pending = decoder != nullptr && (decoder->jpeg.started || decoder->bgr_pending);
        if (!pending || rgb == nullptr || capacity < stored_bytes(decoder)) {
            set_error(err, err_cap, "no decoded image, or the RGB buffer is too small");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        if (!decoder->bgr_pending) {
            if (hr_jpeg_read_rgb(&decoder->jpeg, rgb)) return HR_IMAGE_OK;
            set_error(err, err_cap, "not a decodable image");
            return HR_IMAGE_UNDECODABLE;
        }
        cv::Mat out(decoder->bgr.rows, decoder->bgr.cols, CV_8UC3, rgb);
        cv::cvtColor(decoder->bgr, out, cv::COLOR_BGR2RGB);
        decoder->bgr_pending = false;
        return HR_IMAGE_OK;
    });
}

int hr_decoder_set_window(hr_decoder *decoder, int x0, int y0, int x1, int y1, int stored[4], int exact[4],
                          char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        const bool pending = decoder != nullptr && (decoder->jpeg.started || decoder->bgr_pending);
        if (!pending || stored == nullptr || exact == nullptr || x0 < 0 || y0 < 0 || x1 > decoder->width ||
            y1 > decoder->height || x0 >= x1 || y0 >= y1) {
            set_error(err, err_cap, "no image started, or the window is empty or outside the image");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        if (decoder->bgr_pending) {   // OpenCV has decoded it all already
            whole(decoder, stored);
            whole(decoder, exact);
        } else if (!hr_jpeg_window(&decoder->jpeg, x0, y0, x1, y1, stored, exact)) {
            set_error(err, err_cap, "not a decodable image");
            return HR_IMAGE_UNDECODABLE;
        }
        for (int k = 0; k < 4; k++) decoder->stored[k] = stored[k];
        return HR_IMAGE_OK;
    });
}

int hr_jpeg_encode_kind(const uint8_t *rgb, int width, int height, int components, int h_samp, int v_samp,
                        int progressive, int restart_rows, int quality, uint8_t **out, size_t *out_size) {
    return guarded(nullptr, 0, [&]() -> int {
        return hr_jpeg_encode(rgb, width, height, components, h_samp, v_samp, progressive, restart_rows, quality, out,
                              out_size) ? HR_IMAGE_OK : HR_IMAGE_BAD_ARGUMENT;
    });
}

void hr_free(void *p) { free(p); }

int hr_warp_affine(const uint8_t *src, int src_w, int src_h, const double m[6],
                   uint8_t *dst, int dst_w, int dst_h, char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        if (src == nullptr || dst == nullptr || m == nullptr || src_w <= 0 || src_h <= 0 || dst_w <= 0 ||
            dst_h <= 0) {
            set_error(err, err_cap, "invalid warp arguments");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        const cv::Mat in(src_h, src_w, CV_8UC3, const_cast<uint8_t *>(src));
        cv::Mat out(dst_h, dst_w, CV_8UC3, dst);
        const cv::Mat matrix(2, 3, CV_64F, const_cast<double *>(m));
        cv::warpAffine(in, out, matrix, out.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar());
        return HR_IMAGE_OK;
    });
}

int hr_mirror_region(const uint8_t *src, int w, int h, int x0, int x1, int y0, int y1, uint8_t *dst,
                     char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        if (src == nullptr || dst == nullptr || src == dst || w <= 0 || h <= 0 || x0 < 0 || x1 > w ||
            y0 < 0 || y1 > h) {
            set_error(err, err_cap, "invalid mirror arguments");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        if (x0 >= x1 || y0 >= y1) return HR_IMAGE_OK;
        const cv::Mat in(h, w, CV_8UC3, const_cast<uint8_t *>(src));
        cv::Mat out(h, w, CV_8UC3, dst);
        // Columns [x0, x1) of the mirror are source columns [w-x1, w-x0) read right to left.
        const cv::Mat from = in(cv::Range(y0, y1), cv::Range(w - x1, w - x0));
        cv::Mat to = out(cv::Range(y0, y1), cv::Range(x0, x1));
        cv::flip(from, to, 1);
        return HR_IMAGE_OK;
    });
}

int hr_get_affine_transform(const float src[6], const float dst[6], double m[6], char *err, size_t err_cap) {
    return guarded(err, err_cap, [&]() -> int {
        if (src == nullptr || dst == nullptr || m == nullptr) {
            set_error(err, err_cap, "null point arrays");
            return HR_IMAGE_BAD_ARGUMENT;
        }
        cv::Point2f s[3], t[3];
        for (int k = 0; k < 3; k++) {
            s[k] = cv::Point2f(src[2 * k], src[2 * k + 1]);
            t[k] = cv::Point2f(dst[2 * k], dst[2 * k + 1]);
        }
        const cv::Mat matrix = cv::getAffineTransform(s, t);
        for (int k = 0; k < 6; k++) m[k] = matrix.at<double>(k / 3, k % 3);
        return HR_IMAGE_OK;
    });
}

} // extern "C"
