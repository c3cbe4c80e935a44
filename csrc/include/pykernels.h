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

/* --- LSTM (csrc/cpu/lstm) ------------------------------------------------------------
 * One LSTM layer in one direction over a sequence, PyTorch's nn.LSTM semantics and gate
 * order (i, f, g, o). H = hidden, R = proj if proj > 0 else hidden (the state size).
 * x[t, b, :] (input values) at x + t * x_ts + b * x_bs with rows either time-major
 * (x_ts == batch * x_bs) or batch-major (x_bs == steps * x_ts). w_ih: 4H x input,
 * w_hh: 4H x R, bias: 4H (b_ih + b_hh), w_hr: R x H or NULL (proj == 0), all row-major.
 * h0: batch x R, c0: batch x H, or NULL for zeros. lengths: batch values in [1, steps]
 * or NULL; steps at or past a row's length give zeros in y and leave its state alone.
 * reverse: run t = steps-1 .. 0. y[t, b, :] (R values) at y + t * y_ts + b * y_bs.
 * h_n: batch x R, c_n: batch x H, the states after each row's last step. */
PK_API int pk_lstm_layer_f32(int64_t steps, int64_t batch, int64_t input, int64_t hidden, int64_t proj,
                             const float* x, int64_t x_ts, int64_t x_bs,
                             const float* w_ih, const float* w_hh, const float* bias, const float* w_hr,
                             const float* h0, const float* c0, const int64_t* lengths, int reverse,
                             float* y, int64_t y_ts, int64_t y_bs, float* h_n, float* c_n);

/* Embedding gather: out[i, :] = table[ids[i], :] for n ids in [0, rows); table rows x dim
 * and out n x dim contiguous. An id out of range is an argument error. */
PK_API int pk_embedding_f32(const int64_t* ids, int64_t n, const float* table, int64_t rows, int64_t dim,
                            float* out);
/* ---- attention ---------------------------------------------------------------------
 * O = softmax(scale * Q K^T + mask) V, fused flash attention (no Nq x Nk buffer).
 * q: (batch, heads_q, nq, d), k: (batch, heads_kv, nk, d), v: (batch, heads_kv, nk, dv),
 * o: (batch, heads_q, nq, dv),
 * each given by its base pointer and element strides along batch, head and sequence
 * (unit stride along d / dv); heads_kv divides heads_q (grouped-query attention). mask: NULL
 * (mask_kind PK_MASK_NONE), uint8 with nonzero = attend (PK_MASK_BOOL) or additive float
 * (PK_MASK_ADD), element (b, h, i, j) at mask[b*m_sb + h*m_sh + i*m_sq + j*m_sk] (0 strides
 * broadcast). causal: query i attends keys j <= i. Rows that attend no key are zeros. */
#define PK_MASK_NONE 0
#define PK_MASK_BOOL 1
#define PK_MASK_ADD 2

PK_API int pk_sdpa_f32(int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t nq, int64_t nk, int64_t d, int64_t dv,
                       const float* q, int64_t q_sb, int64_t q_sh, int64_t q_sn,
                       const float* k, int64_t k_sb, int64_t k_sh, int64_t k_sn,
                       const float* v, int64_t v_sb, int64_t v_sh, int64_t v_sn,
                       float* o, int64_t o_sb, int64_t o_sh, int64_t o_sn,
                       const void* mask, int mask_kind, int64_t m_sb, int64_t m_sh, int64_t m_sq, int64_t m_sk,
                       int causal, float scale);

/* y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * gamma + beta over rows x cols contiguous
 * floats (y may equal x); gamma and beta: cols floats, or NULL for 1 and 0. */
PK_API int pk_layer_norm_f32(const float* x, float* y, int64_t rows, int64_t cols, const float* gamma,
                             const float* beta, float eps);
/* ---- Convolution and pooling (NHWC float32) ----
 * Images are NHWC: pixel (n, h, w) channel c at x[((n * in_h + h) * in_w + w) * channels + c].
 * Padding is explicit per side; pykernels.geometry turns "same" and friends into it. */
typedef struct {
  int64_t batch, in_h, in_w, in_c;   /* input image */
  int64_t out_c, kernel_h, kernel_w; /* weights: out_c x (in_c / groups) x kernel_h x kernel_w */
  int64_t stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
  int64_t groups;
} pk_conv2d_desc;

/* y = act(conv2d(x, w) + bias), y NHWC (batch, out_h, out_w, out_c) contiguous, with
 * out_h = (in_h + pad_top + pad_bottom - dilation_h * (kernel_h - 1) - 1) / stride_h + 1 (same for w).
 * w is OIHW with element strides w_strides[4] (o, i, h, w): an HWIO (Keras) array viewed as
 * OIHW is read in place. bias: out_c values or NULL. groups = in_c is a depthwise convolution. */
PK_API int pk_conv2d_f32_nhwc(const pk_conv2d_desc* desc, const float* x, const float* w,
                              const int64_t* w_strides, const float* bias, int activation, float* y);

typedef struct {
  int64_t batch, in_h, in_w, channels;
  int64_t kernel_h, kernel_w, stride_h, stride_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
  int64_t out_h, out_w; /* given: ceil_mode decides them */
} pk_pool2d_desc;

/* y (batch, out_h, out_w, channels) = the max of each window; padding never wins, NaN propagates. */
PK_API int pk_max_pool2d_f32_nhwc(const pk_pool2d_desc* desc, const float* x, float* y);
/* y = the mean of each window; the divisor counts taps inside the input, plus those in the
 * padding when count_include_pad (never taps past the padded input). */
PK_API int pk_avg_pool2d_f32_nhwc(const pk_pool2d_desc* desc, const float* x, float* y, int count_include_pad);
/* y[n, c] = the mean of x[n, :, c] over `pixels` pixels (x: batch x pixels x channels). */
PK_API int pk_global_avg_pool2d_f32_nhwc(const float* x, float* y, int64_t batch, int64_t pixels, int64_t channels);
/* ---- int8 family: quantization and the int8 GEMM (csrc/cpu/int8) ----
 * Codes for dtypes and for where quantization parameters vary. */
#define PK_DTYPE_U8 0
#define PK_DTYPE_S8 1
#define PK_DTYPE_S32 2
#define PK_DTYPE_F32 3

#define PK_PER_TENSOR 0
#define PK_PER_ROW 1
#define PK_PER_COL 2

/* q = clamp(rint(x / scale) + zero_point, lo, hi) for rows x cols contiguous float32, rint
 * rounding half to even; NaN -> zero_point, +-inf saturate. scale and zero_point hold 1
 * (PK_PER_TENSOR), rows (PK_PER_ROW) or cols (PK_PER_COL) values; q is uint8 or int8. */
PK_API int pk_quantize_f32(const float* x, int64_t rows, int64_t cols, const float* scale,
                           const int32_t* zero_point, int per, int32_t lo, int32_t hi, int q_dtype, void* q);
/* y = (q - zero_point) * scale for rows x cols contiguous uint8 / int8 codes. */
PK_API int pk_dequantize_f32(const void* q, int q_dtype, int64_t rows, int64_t cols, const float* scale,
                             const int32_t* zero_point, int per, float* y);
/* q = clamp(rint((double)x * multiplier) + zero_point, lo, hi) for rows x cols contiguous int32. */
PK_API int pk_requantize_s32(const int32_t* x, int64_t rows, int64_t cols, const double* multiplier,
                             const int32_t* zero_point, int per, int32_t lo, int32_t hi, int q_dtype, void* q);
/* Bytes of B (k x n, int8) packed for pk_gemm_int8, and the packing itself; B is given as
 * W = B^T, n x k, element (j, p) at w[j * w_rs + p * w_cs]. */
PK_API int64_t pk_int8_packed_b_bytes(int64_t n, int64_t k);
PK_API int pk_int8_pack_b(const int8_t* w, int64_t n, int64_t k, int64_t w_rs, int64_t w_cs, int8_t* packed);

/* S(i, j) = sum_p (A(i, p) - a_zero_point) * (B(p, j) - b_zero_point[j]), exact, then
 *   c_dtype PK_DTYPE_S32: C = S;
 *   PK_DTYPE_F32: C = act(S * (a_scale * scale[j]) + bias[j]) (scale: the weights' scales);
 *   PK_DTYPE_U8 / S8: C = clamp(rint((double)(S + bias_s32[j]) * multiplier[j]) + c_zero_point)
 *     (activation PK_ACT_NONE or PK_ACT_RELU, which clamps at c_zero_point).
 * A: uint8, int8, or float32 quantized on the fly to codes clamp(rint(a / a_scale) + a_zero_point,
 * 0, a_qmax); with a_dynamic PK_DYNAMIC_TENSOR, a_scale and a_zero_point are chosen from A's own
 * range (its min and max with 0 onto [0, a_qmax], as pykernels.formats.choose_qparams; NaN or inf
 * in A is an error); with PK_DYNAMIC_ROW each row of A gets its own, from its own range (float
 * C only: C = act(S_i * (a_scale_i * scale[j]) + bias[j]), S_i with row i's zero point).
 * B: packed by pk_int8_pack_b, b_colsum[j] = sum_p B(p, j), b_zero_point NULL or n
 * values; b_safe_a_max: the largest A code (A + 128 for int8 A) for which the AVX2 kernel's
 * pairs of products fit in int16 (above it a slower exact kernel runs). The caller makes sure
 * S fits in int32. */
#define PK_DYNAMIC_NONE 0
#define PK_DYNAMIC_TENSOR 1
#define PK_DYNAMIC_ROW 2
typedef struct {
  int64_t m, n, k;
  const void* a;
  int64_t a_rs, a_cs;
  int a_dtype;
  int32_t a_zero_point;
  float a_scale;
  int32_t a_qmax;
  int a_dynamic;
  const int8_t* b_packed;
  const int32_t* b_colsum;
  const int32_t* b_zero_point;
  int32_t b_safe_a_max;
  void* c;
  int64_t c_rs;
  int c_dtype;
  const float* scale;
  const float* bias;
  const double* multiplier;
  const int32_t* bias_s32;
  int32_t c_zero_point;
  int activation;
} pk_gemm_int8_args;
PK_API int pk_gemm_int8(const pk_gemm_int8_args* args);
/* Quantized conv2d of uint8 NHWC codes x, one group (0 <= group < desc->groups) per call:
 * pk_gemm_int8 with A the implicit im2col of x -- A(i, p) = x[n, oh * stride_h - pad_top +
 * kh * dilation_h, ow * stride_w - pad_left + kw * dilation_w, group * cg + c] for output pixel
 * i = (n, oh, ow) and tap p = (kh * kernel_w + kw) * cg + c, cg = in_c / groups, and
 * gemm->a_zero_point in the padding. gemm: a_dtype PK_DTYPE_U8 (a, a_rs, a_cs unused),
 * m = batch * out_h * out_w, k = kernel_h * kernel_w * cg, n = out_c / groups, B packed from
 * the group's weights (n x k, taps in (kh, kw, c) order), c = the group's first output
 * column of the NHWC output with c_rs = out_c, and the epilogue of pk_gemm_int8. */
PK_API int pk_conv2d_int8_nhwc(const pk_conv2d_desc* desc, int64_t group, const uint8_t* x,
                               const pk_gemm_int8_args* gemm);
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

/* Sparse-weight convolution: y = act(conv2d(x, W) + bias), x and y NHWC as in
 * pk_conv2d_f32_nhwc (groups must be 1). W is sparse, out_c x taps with taps = kernel_h *
 * kernel_w * in_c in (kh, kw, c) order; format 0 = BSR (CSR: r = c = 1) with indptr,
 * indices, values as pk_spmm_bsr_f32; format 1 = N:M with positions, values as
 * pk_spmm_nm_f32. The im2col matrix is never materialised. */
typedef struct {
  int format;
  int r, c;
  const int32_t* indptr;
  const int32_t* indices;
  int nm_n, nm_m;
  const uint8_t* positions;
  const float* values;
} pk_sparse_f32;
PK_API int pk_conv2d_sparse_f32_nhwc(const pk_conv2d_desc* desc, const float* x, const pk_sparse_f32* w,
                                     const float* bias, int activation, float* y);

PK_API int pk_get_num_threads(void);
PK_API int pk_set_num_threads(int n);

/* The message of the last failed call on this thread ("" if none). */
PK_API const char* pk_last_error(void);
/* cdef-end */

#ifdef __cplusplus
}
#endif

#endif /* PYKERNELS_H */
