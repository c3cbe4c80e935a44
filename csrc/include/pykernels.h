/* pykernels C ABI: the native kernels of pykernels._C for C, C++, cffi and Numba.
 *
 * Every function checks its arguments and returns PK_OK or an error code; the message
 * of the last error on the calling thread is pk_last_error(). Matrices are described by
 * a base pointer and element strides (any sign), so transposed and strided views need
 * no copy. The library is the pykernels._C extension module itself (its path is
 * pykernels._C.__file__); pykernels.cffi opens it for you.
 */
#ifndef PYKERNELS_H
#define PYKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PK_API __attribute__((visibility("default")))

/* cdef-begin: the declarations below are read by pykernels.cffi */
#define PK_OK 0
#define PK_ERR_ARGUMENT 1
#define PK_ERR_INTERNAL 2

#define PK_ACT_NONE 0
#define PK_ACT_RELU 1
#define PK_ACT_SIGMOID 2
#define PK_ACT_TANH 3
#define PK_ACT_GELU 4

#define PK_BIAS_NONE 0
#define PK_BIAS_ROW 1
#define PK_BIAS_COL 2

/* C = act(A.B [+ C if accumulate] [+ bias]) in float32.
 * A: m x k, element (i, p) at a[i * a_rs + p * a_cs]; B: k x n, (p, j) at b[p * b_rs + j * b_cs];
 * C: m x n, (i, j) at c[i * c_rs + j]. bias: m values (PK_BIAS_ROW) or n (PK_BIAS_COL). */
PK_API int pk_sgemm(int64_t m, int64_t n, int64_t k,
                    const float* a, int64_t a_rs, int64_t a_cs,
                    const float* b, int64_t b_rs, int64_t b_cs,
                    float* c, int64_t c_rs,
                    const float* bias, int bias_mode, int activation, int accumulate);

/* x[i] = act(x[i]) for n contiguous floats. */
PK_API int pk_activation_f32(float* x, int64_t n, int activation);

/* y[r, :] = softmax(x[r, :]) for rows x cols contiguous floats (y may equal x). */
PK_API int pk_softmax_f32(const float* x, float* y, int64_t rows, int64_t cols);

/* --- sparse (spmm): Y = act(W.X + bias), W sparse m x k, X dense k x n ------------------
 * X: (p, j) at x[p * x_rs + j * x_cs]; Y: (i, j) at y[i * y_rs + j]; bias: m values or NULL.
 * BSR (CSR is r = c = 1): m % r == 0, k % c == 0; block row I holds blocks
 * indptr[I] .. indptr[I+1]-1 (non-decreasing, indptr[0] = 0), block b at block column
 * indices[b] (in range) with r x c row-major values at values[b * r * c]. */
PK_API int pk_spmm_bsr_f32(int64_t m, int64_t k, int64_t n, int r, int c,
                           const int32_t* indptr, const int32_t* indices, const float* values,
                           const float* x, int64_t x_rs, int64_t x_cs,
                           float* y, int64_t y_rs, const float* bias, int activation);

/* N:M (k % nm_m == 0): row i keeps kept = k / nm_m * nm_n values values[i * kept + t] at
 * columns (t / nm_n) * nm_m + positions[i * kept + t], positions < nm_m. */
PK_API int pk_spmm_nm_f32(int64_t m, int64_t k, int64_t n, int nm_n, int nm_m,
                          const uint8_t* positions, const float* values,
                          const float* x, int64_t x_rs, int64_t x_cs,
                          float* y, int64_t y_rs, const float* bias, int activation);

PK_API int pk_get_num_threads(void);
PK_API int pk_set_num_threads(int n);

/* The message of the last failed call on this thread ("" if none). */
PK_API const char* pk_last_error(void);
/* cdef-end */

#ifdef __cplusplus
}
#endif

#endif /* PYKERNELS_H */
