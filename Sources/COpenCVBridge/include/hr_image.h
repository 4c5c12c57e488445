// Image decoding and geometry: decode, warpAffine, getAffineTransform (used by PoseData).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// OpenCV's version string, e.g. "4.6.0" (the fixed-point warpAffine era the reference used).
const char *hr_cv_version(void);

#ifdef __cplusplus
}
#endif
