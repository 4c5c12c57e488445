// CMPI: Open MPI for Swift. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are
// macros over global structs that Swift cannot import, so this shim exposes the few calls the
// trainer makes as plain functions on MPI_COMM_WORLD. Every function returns MPI's error code
// (MPI_SUCCESS = 0); requests are opaque integers indexing a table of 1024 MPI_Request.
#ifndef CMPI_H
#define CMPI_H
#include <stddef.h>

/// MPI_Init_thread(FUNNELED): only the thread that initialised calls MPI. `provided` gets the level.
int cmpi_init(int *provided);
int cmpi_initialized(void);
int cmpi_finalize(void);
int cmpi_rank(void);
int cmpi_size(void);
int cmpi_barrier(void);
/// MPI_Abort on MPI_COMM_WORLD: every rank of the job ends with `code`.
void cmpi_abort(int code);

/// In-place sums over every rank (MPI_IN_PLACE, MPI_SUM).
int cmpi_allreduce_float_sum(float *data, size_t count);
int cmpi_allreduce_double_sum(double *data, size_t count);
/// Starts an in-place float sum; `*request` identifies it for cmpi_test / cmpi_wait.
int cmpi_iallreduce_float_sum(float *data, size_t count, int *request);
/// `*done` = 1 once the request finished (it is then freed); drives MPI's progress.
int cmpi_test(int request, int *done);
int cmpi_wait(int request);

/// `count` bytes from `root` to every rank.
int cmpi_bcast_bytes(void *data, size_t count, int root);
/// Point to point, floats, tag 0.
int cmpi_send_float(const float *data, size_t count, int to);
int cmpi_recv_float(float *data, size_t count, int from);

/// MPI's text for an error code.
const char *cmpi_error_string(int code);
#endif
