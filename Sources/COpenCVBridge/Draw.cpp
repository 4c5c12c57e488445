// Pictures for Render: encode, decode (round trips), drawing, resize, JET colour map, blur.
// Every entry point wraps caller-owned buffers in cv::Mat headers (no copies) and runs inside
// `guarded`, which turns any C++ exception into HR_DRAW_ERROR with its message; drawing calls
// share that frame through `on_canvas`.
#include "hr_draw.h"
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace {

int fail(char *err, size_t cap, const char *message) {
    if (err && cap > 0) std::snprintf(err, cap, "%s", message);
    return HR_DRAW_ERROR;
}

template <typename Body> int guarded(char *err, size_t cap, Body body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        return fail(err, cap, e.what());
    } catch (const std::exception &e) {
        return fail(err, cap, e.what());
    } catch (...) {
        return fail(err, cap, "unknown C++ exception");
    }
}

bool valid(int width, int height, int channels) {
    return width > 0 && height > 0 && (channels == 1 || channels == 3);
}

int type_of(int channels) { return channels == 1 ? CV_8UC1 : CV_8UC3; }

cv::Mat wrap(uint8_t *pixels, int width, int height, int channels) {
    return cv::Mat(height, width, type_of(channels), pixels);
}

cv::Scalar colour(uint8_t c0, uint8_t c1, uint8_t c2) { return cv::Scalar(c0, c1, c2); }

/// Drawing calls take sub-pixel coordinates with this many fractional bits, so anti-aliased
/// lines and circles land where the caller asked, not at the nearest integer.
constexpr int kShift = 4;
cv::Point fixed(double x, double y) {
    return cv::Point(cvRound(x * (1 << kShift)), cvRound(y * (1 << kShift)));
}

/// The shared frame of every drawing call: check the canvas, wrap it in a cv::Mat header, run
/// `draw` on it with exceptions caught.
template <typename Draw>
int on_canvas(uint8_t *canvas, int width, int height, int channels, char *err, size_t cap, Draw draw) {
    if (!canvas || !valid(width, height, channels)) return fail(err, cap, "invalid canvas: null or bad size/channels");
    return guarded(err, cap, [&] {
        cv::Mat m = wrap(canvas, width, height, channels);
        draw(m);
        return (int)HR_DRAW_OK;
    });
}

} // namespace

extern "C" {

int hr_encode_image(const uint8_t *pixels, int width, int height, int channels, int format,
                    int quality, uint8_t *out, size_t out_cap, size_t *out_len,
                    char *err, size_t err_cap) {
    return guarded(err, err_cap, [&] {
        if (!pixels || !out_len || !valid(width, height, channels))
            return fail(err, err_cap, "encode: null buffer or bad size/channels");
        cv::Mat image = wrap(const_cast<uint8_t *>(pixels), width, height, channels);
        cv::Mat bgr;
        if (channels == 3) cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR); else bgr = image;
        std::vector<int> params;
        const char *ext;
        if (format == HR_FORMAT_PNG) {
            ext = ".png";
            params = {cv::IMWRITE_PNG_COMPRESSION, quality};
        } else if (format == HR_FORMAT_JPEG) {
            ext = ".jpg";
            params = {cv::IMWRITE_JPEG_QUALITY, quality};
        } else {
            return fail(err, err_cap, "encode: unknown format");
        }
        std::vector<uchar> encoded;
        if (!cv::imencode(ext, bgr, encoded, params)) return fail(err, err_cap, "encode: imencode failed");
        *out_len = encoded.size();
        if (!out || out_cap < encoded.size()) return (int)HR_DRAW_BUFFER_TOO_SMALL;
        std::memcpy(out, encoded.data(), encoded.size());
        return (int)HR_DRAW_OK;
    });
}

int hr_picture_decode_rgb(const uint8_t *bytes, size_t len, uint8_t *out, size_t out_cap,
                          int *width, int *height, char *err, size_t err_cap) {
    return guarded(err, err_cap, [&] {
        if (!bytes || len == 0 || !width || !height) return fail(err, err_cap, "decode: empty input");
        cv::Mat encoded(1, (int)len, CV_8UC1, const_cast<uint8_t *>(bytes));
        cv::Mat bgr = cv::imdecode(encoded, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
        if (bgr.empty()) return fail(err, err_cap, "decode: not a decodable PNG/JPEG");
        *width = bgr.cols;
        *height = bgr.rows;
        size_t needed = (size_t)bgr.cols * bgr.rows * 3;
        if (!out || out_cap < needed) return (int)HR_DRAW_BUFFER_TOO_SMALL;
        cv::Mat rgb = wrap(out, bgr.cols, bgr.rows, 3);
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        return (int)HR_DRAW_OK;
    });
}

int hr_draw_line(uint8_t *canvas, int width, int height, int channels, double x0, double y0,
                 double x1, double y1, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                 char *err, size_t err_cap) {
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::line(m, fixed(x0, y0), fixed(x1, y1), colour(c0, c1, c2), thickness, cv::LINE_AA, kShift);
    });
}

int hr_draw_circle(uint8_t *canvas, int width, int height, int channels, double cx, double cy,
                   double radius, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                   char *err, size_t err_cap) {
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::circle(m, fixed(cx, cy), cvRound(radius * (1 << kShift)), colour(c0, c1, c2),
                   thickness < 0 ? cv::FILLED : thickness, cv::LINE_AA, kShift);
    });
}

int hr_draw_rect(uint8_t *canvas, int width, int height, int channels, int x0, int y0, int x1,
                 int y1, uint8_t c0, uint8_t c1, uint8_t c2, int thickness, char *err, size_t err_cap) {
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::rectangle(m, cv::Point(x0, y0), cv::Point(x1, y1), colour(c0, c1, c2),
                      thickness < 0 ? cv::FILLED : thickness, cv::LINE_8);
    });
}

int hr_fill_polygon(uint8_t *canvas, int width, int height, int channels, const double *xy,
                    int count, uint8_t c0, uint8_t c1, uint8_t c2, char *err, size_t err_cap) {
    if (!xy || count < 3) return fail(err, err_cap, "polygon: needs at least 3 points");
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        std::vector<cv::Point> points;
        points.reserve(count);
        for (int i = 0; i < count; ++i) points.push_back(fixed(xy[2 * i], xy[2 * i + 1]));
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{points}, colour(c0, c1, c2), cv::LINE_AA, kShift);
    });
}

int hr_fill_ellipse(uint8_t *canvas, int width, int height, int channels, double cx, double cy,
                    double ax, double ay, double angle, uint8_t c0, uint8_t c1, uint8_t c2,
                    char *err, size_t err_cap) {
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::ellipse(m, fixed(cx, cy), cv::Size(cvRound(ax * (1 << kShift)), cvRound(ay * (1 << kShift))),
                    angle, 0, 360, colour(c0, c1, c2), cv::FILLED, cv::LINE_AA, kShift);
    });
}

int hr_draw_text(uint8_t *canvas, int width, int height, int channels, const char *text, int x,
                 int y, double scale, uint8_t c0, uint8_t c1, uint8_t c2, int thickness,
                 char *err, size_t err_cap) {
    if (!text) return fail(err, err_cap, "text: null string");
    return on_canvas(canvas, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::putText(m, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, colour(c0, c1, c2),
                    thickness, cv::LINE_AA);
    });
}

int hr_text_size(const char *text, double scale, int thickness, int *width, int *height,
                 int *baseline, char *err, size_t err_cap) {
    if (!text || !width || !height || !baseline) return fail(err, err_cap, "text size: null argument");
    return guarded(err, err_cap, [&] {
        int base = 0;
        cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &base);
        *width = size.width;
        *height = size.height;
        *baseline = base;
        return (int)HR_DRAW_OK;
    });
}

int hr_resize_u8(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst, int dw, int dh,
                 int interpolation, char *err, size_t err_cap) {
    if (!src || !dst || !valid(sw, sh, channels) || !valid(dw, dh, channels))
        return fail(err, err_cap, "resize: null buffer or bad size/channels");
    return guarded(err, err_cap, [&] {
        int flag = interpolation == HR_INTERP_NEAREST ? cv::INTER_NEAREST
                 : interpolation == HR_INTERP_CUBIC ? cv::INTER_CUBIC : cv::INTER_LINEAR;
        cv::Mat in = wrap(const_cast<uint8_t *>(src), sw, sh, channels);
        cv::Mat out = wrap(dst, dw, dh, channels);
        cv::resize(in, out, cv::Size(dw, dh), 0, 0, flag);
        return (int)HR_DRAW_OK;
    });
}

int hr_colormap_jet(const uint8_t *grey, size_t count, uint8_t *rgb, char *err, size_t err_cap) {
    if (!grey || !rgb || count == 0 || count > (size_t)INT32_MAX)
        return fail(err, err_cap, "colour map: null buffer or bad count");
    return guarded(err, err_cap, [&] {
        cv::Mat in(1, (int)count, CV_8UC1, const_cast<uint8_t *>(grey));
        cv::Mat bgr;
        cv::applyColorMap(in, bgr, cv::COLORMAP_JET);
        cv::Mat out(1, (int)count, CV_8UC3, rgb);
        cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
        return (int)HR_DRAW_OK;
    });
}

int hr_gaussian_blur(uint8_t *image, int width, int height, int channels, double sigma,
                     char *err, size_t err_cap) {
    if (!(sigma > 0)) return fail(err, err_cap, "blur: sigma must be > 0");
    return on_canvas(image, width, height, channels, err, err_cap, [&](cv::Mat &m) {
        cv::GaussianBlur(m, m, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
    });
}

} // extern "C"
