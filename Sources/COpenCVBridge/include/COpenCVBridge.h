// COpenCVBridge: the few OpenCV 4.6 calls hrprep needs, behind a C API that Swift imports.
// Every C++ exception is caught inside the bridge and returned as an error code with a message;
// nothing here aborts. Buffers are owned by the caller and reused across calls.
#pragma once
#include "hr_image.h"
#include "hr_draw.h"
