#include "hr_draw.h"
#include <opencv2/imgproc.hpp>
