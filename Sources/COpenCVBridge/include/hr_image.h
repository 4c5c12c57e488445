// Image decoding and geometry: decode, warpAffine, getAffineTransform (used by PoseData).
//
// Conventions: every function that can fail returns 0 on success or a negative HR_IMAGE_* code,
// and writes a NUL-terminated message into `err` (capacity `err_cap`, may be 0). Nothing throws
// across this header and nothing aborts: OpenCV exceptions are caught inside. Pixel buffers are
// owned by the caller, 8-bit, 3 channels interleaved, rows packed (stride = width * 3).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    HR_IMAGE_OK = 0,
    /// The bytes are not an image OpenCV can decode.
    HR_IMAGE_UNDECODABLE = -1,
    /// A caller buffer is too small, or a size/argument is invalid.
    HR_IMAGE_BAD_ARGUMENT = -2,
    /// OpenCV raised an exception (message in `err`).
    HR_IMAGE_OPENCV_ERROR = -3,
};

/// OpenCV's version string, e.g. "4.6.0" (the fixed-point warpAffine era the reference used).
const char *hr_cv_version(void);

/// cv::setNumThreads(n): 0 makes OpenCV run each call serially on the calling thread (its TBB pool
/// otherwise splits every warp/convert across all cores, fighting the caller's own worker threads);
/// -1 restores OpenCV's default.
void hr_cv_set_threads(int n);

/// A decoder: JPEGs go straight from libjpeg into the caller's RGB buffer (OpenCV 4.6's own JPEG
/// path decodes to RGB and swaps to BGR byte by byte, which a caller then swaps back: 17% of
/// build-shards' CPU);
/// other formats are decoded by OpenCV into a BGR buffer the decoder keeps and reuses (fresh buffers
/// made a decode 15-55% slower). One decoder per thread; not thread-safe.
typedef struct hr_decoder hr_decoder;

hr_decoder *hr_decoder_create(void);
void hr_decoder_destroy(hr_decoder *decoder);

/// Starts decoding JPEG/PNG bytes the reference's way (cv::imdecode with IMREAD_COLOR |
/// IMREAD_IGNORE_ORIENTATION, then BGR->RGB) and reports the image size. `data` must stay valid
/// until `hr_decoder_read_rgb`, which delivers the pixels.
int hr_decode(hr_decoder *decoder, const uint8_t *data, size_t size, int *width, int *height,
              char *err, size_t err_cap);

/// Optional, between `hr_decode` and `hr_decoder_read_rgb`: decode only what covers the columns
/// [x0, x1) and rows [y0, y1) (non-empty, inside the image). `stored` gets the rectangle
/// (x0, y0, x1, y1) that `hr_decoder_read_rgb` will then write, rows packed (stride
/// (x1 − x0)·3); `exact` the part of it whose pixels equal the full decode's (it contains the
/// request; the rest of `stored` is a column at a crop edge that libjpeg upsampled as a border).
/// JPEGs of the kinds proven exact (grey; 4:4:4, 4:2:2, 4:4:0, 4:2:0 YCbCr; baseline, or
/// progressive with every coefficient bit sent) skip the rows above (entropy-decoded only), the
/// columns outside (widened to an iMCU column) and never touch the rows below; a baseline JPEG only
/// when its scan runs to EOI without other markers, so nothing the full decode reads after the
/// window could fail. Any other image is decoded whole: stored = exact = the whole image.
int hr_decoder_set_window(hr_decoder *decoder, int x0, int y0, int x1, int y1, int stored[4], int exact[4],
                          char *err, size_t err_cap);

/// Writes the image started by `hr_decode` (or its window, see `hr_decoder_set_window`) as RGB
/// into `rgb` (width*height*3 bytes for the whole image, `capacity` given): exactly the pixels of
/// cv::imdecode followed by cvtColor(BGR2RGB).
int hr_decoder_read_rgb(hr_decoder *decoder, uint8_t *rgb, size_t capacity, char *err, size_t err_cap);

/// Encodes RGB pixels as a JPEG of a chosen kind, for the window-decode tests (OpenCV 4.6's encoder
/// writes only 4:2:0): `components` 3 (YCbCr, luma sampled h_samp × v_samp over 1×1 chroma), 1
/// (grey) or 4 (CMYK made from the RGB); `progressive` 0 baseline, 1 libjpeg's standard progressive script, 2 (3 components) an
/// incomplete script (some coefficient bits never sent, so libjpeg smooths blocks); a restart
/// marker every `restart_rows` MCU rows when > 0. `*out` is malloc'ed: release it with hr_free.
int hr_jpeg_encode_kind(const uint8_t *rgb, int width, int height, int components, int h_samp, int v_samp,
                        int progressive, int restart_rows, int quality, uint8_t **out, size_t *out_size);

/// free() for buffers the bridge allocated.
void hr_free(void *p);

/// cv::warpAffine(src, dst, M, (dst_w, dst_h), INTER_LINEAR, BORDER_CONSTANT, 0) on 8-bit 3-channel
/// images. `m` is the forward 2x3 matrix (source -> destination), row-major, as the reference passes it.
/// OpenCV 4.6 computes this in fixed point (source positions on a 1/32-pixel grid), like the reference.
/// ONLY the test oracle and benchmark baseline of PoseData's own warp (AffineWarp), which makes the crops.
int hr_warp_affine(const uint8_t *src, int src_w, int src_h, const double m[6],
                   uint8_t *dst, int dst_w, int dst_h, char *err, size_t err_cap);

/// Mirrors part of an 8-bit 3-channel image: dst(x, y) = src(w-1-x, y) for x in [x0, x1),
/// y in [y0, y1); the rest of dst (same size as src) is left untouched. A warp that only samples
/// that region then sees exactly the mirrored image, without paying for mirroring all of it.
/// Test oracle (whole-image mirror) and benchmark baseline only: AffineWarp reads mirrored taps itself.
int hr_mirror_region(const uint8_t *src, int w, int h, int x0, int x1, int y0, int y1, uint8_t *dst,
                     char *err, size_t err_cap);

/// cv::getAffineTransform of three float32 point pairs (x0,y0,x1,y1,x2,y2): the 2x3 double matrix
/// that maps src[i] to dst[i], row-major into `m`.
int hr_get_affine_transform(const float src[6], const float dst[6], double m[6], char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif
