#include "CMPI.h"
#include <limits.h>
#include <mpi.h>

// Counts above INT_MAX are sent in pieces of at most this many elements (MPI counts are int).
#define CMPI_CHUNK (1 << 30)
#define CMPI_REQUESTS 1024

static MPI_Request requests[CMPI_REQUESTS];
static int request_used[CMPI_REQUESTS];

int cmpi_init(int *provided) { return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided); }

int cmpi_initialized(void) {
    int flag = 0, finalized = 0;
    MPI_Initialized(&flag);
    MPI_Finalized(&finalized);
    return flag && !finalized;
}

int cmpi_finalize(void) { return MPI_Finalize(); }

int cmpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
int cmpi_size(void) { int n = 1; MPI_Comm_size(MPI_COMM_WORLD, &n); return n; }
int cmpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
void cmpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int cmpi_allreduce_float_sum(float *data, size_t count) {
    for (size_t done = 0; done < count; done += CMPI_CHUNK) {
        size_t n = count - done < CMPI_CHUNK ? count - done : CMPI_CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, data + done, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

int cmpi_allreduce_double_sum(double *data, size_t count) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    return MPI_Allreduce(MPI_IN_PLACE, data, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int cmpi_iallreduce_float_sum(float *data, size_t count, int *request) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    for (int i = 0; i < CMPI_REQUESTS; i++) {
        if (request_used[i]) continue;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, data, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests[i]);
        if (rc == MPI_SUCCESS) { request_used[i] = 1; *request = i; }
        return rc;
    }
    return MPI_ERR_REQUEST;
}

int cmpi_test(int request, int *done) {
    if (request < 0 || request >= CMPI_REQUESTS || !request_used[request]) return MPI_ERR_REQUEST;
    int rc = MPI_Test(&requests[request], done, MPI_STATUS_IGNORE);
    if (rc == MPI_SUCCESS && *done) request_used[request] = 0;
    return rc;
}

int cmpi_wait(int request) {
    if (request < 0 || request >= CMPI_REQUESTS || !request_used[request]) return MPI_ERR_REQUEST;
    int rc = MPI_Wait(&requests[request], MPI_STATUS_IGNORE);
    request_used[request] = 0;
    return rc;
}

int cmpi_bcast_bytes(void *data, size_t count, int root) {
    for (size_t done = 0; done < count; done += CMPI_CHUNK) {
        size_t n = count - done < CMPI_CHUNK ? count - done : CMPI_CHUNK;
        int rc = MPI_Bcast((char *)data + done, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

int cmpi_send_float(const float *data, size_t count, int to) {
    for (size_t done = 0; done < count; done += CMPI_CHUNK) {
        size_t n = count - done < CMPI_CHUNK ? count - done : CMPI_CHUNK;
        int rc = MPI_Send(data + done, (int)n, MPI_FLOAT, to, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

int cmpi_recv_float(float *data, size_t count, int from) {
    for (size_t done = 0; done < count; done += CMPI_CHUNK) {
        size_t n = count - done < CMPI_CHUNK ? count - done : CMPI_CHUNK;
        int rc = MPI_Recv(data + done, (int)n, MPI_FLOAT, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

const char *cmpi_error_string(int code) {
    static char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "unknown MPI error";
    return text;
}
