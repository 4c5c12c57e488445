// OpenBLAS's CBLAS interface (Debian libopenblas-dev), used only to compare GEMM speed.
#include <cblas.h>
