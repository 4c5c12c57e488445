#include "hr_image.h"
#include <opencv2/core.hpp>

const char *hr_cv_version(void) { return CV_VERSION; }
