// COpenCVBridge: the few OpenCV 4.6 calls hrprep needs, behind a C API that Swift imports.
// Every C++ exception is caught inside the bridge and returned as an error code with a message.
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
