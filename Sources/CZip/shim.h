// libzip (Debian's libzip-dev): the zip archive reader behind `images.zip@/NAME` paths.
#include <zip.h>
