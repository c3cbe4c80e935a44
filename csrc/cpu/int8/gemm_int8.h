// int8 GEMM with zero points and a fused epilogue:
//
//   S(i, j) = sum_p (A(i, p) - za) * (B(p, j) - zb(j))          exact, int32
//   C(i, j) = S                                   (c_dtype S32)
//           = act(float(S) * (a_scale * scale(j)) + bias(j))  (F32: dequantized; the
//             parenthesised product is one float32 multiplication)
//           = clamp(rint(double(S + bias(j)) * multiplier(j)) + zc, lo, hi)  (U8/S8: requantized;
//             relu raises lo to zc)
//
// A is uint8, int8 (shifted to uint8 codes, za + 128) or float32 quantized on the fly to
// uint8 codes in [0, a_qmax] (dynamically: a_scale and za from A's own range, see
// int8_dynamic_qparams, or per row from each row's range with a_dynamic_rows: then
// za and a_scale above are row i's); any strides. B is prepacked once (int8_pack_b) into panels of
// 16 columns; its column sums give the za correction, the row sums of A (made while A is
// packed) the zb correction. The corrections are applied in wrapping int32 arithmetic,
// which is exact whenever S itself fits in int32 (the Python op checks that bound before
// calling).
#pragma once

#include <cstdint>

#include "cpu/activation/activation.h"

namespace pk {

// Writes row i of A (k uint8 codes) into row[0 : k]: how an A that is never materialised
// (the implicit im2col of a quantized conv) reaches the GEMM's packer.
using Int8RowSource = void (*)(const void* ctx, int64_t i, uint8_t* row);

// Values are part of the C ABI (include/pykernels.h: PK_DTYPE_*).
enum class Int8Dtype : int { U8 = 0, S8 = 1, S32 = 2, F32 = 3 };

constexpr int kInt8PanelCols = 16;  // columns of B per packed panel

// Bytes of the packed B for n columns and depth k: ceil(n / 16) panels of ceil(k / 4)
// groups of 64 bytes: the 4 values B(4g .. 4g+3, j) of each of the panel's 16 columns.
int64_t int8_packed_b_bytes(int64_t n, int64_t k);

// Packs B given as W = B^T (n x k, element (j, p) at w[j * w_rs + p * w_cs]), zero-padded.
void int8_pack_b(const int8_t* w, int64_t n, int64_t k, int64_t w_rs, int64_t w_cs, int8_t* packed);

struct Int8GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const void* a = nullptr;  // m x k, element (i, p) at a[i * a_rs + p * a_cs]
  int64_t a_rs = 0, a_cs = 0;
  Int8Dtype a_dtype = Int8Dtype::U8;  // U8, S8 or F32
  int32_t a_zero_point = 0;           // za, in A's own dtype
  float a_scale = 1.0f;               // F32 A only: codes = clamp(rint(a / a_scale) + za, 0, a_qmax)
  int32_t a_qmax = 255;
  bool a_dynamic_rows = false;        // F32 A, F32 C: each row's scale and zero point from its own range
  Int8RowSource a_rows = nullptr;     // U8 A only: rows from a_rows(a_rows_ctx, i, row), not from a
  const void* a_rows_ctx = nullptr;
  const int8_t* b_packed = nullptr;     // int8_pack_b
  const int32_t* b_colsum = nullptr;    // n: sum_p B(p, j)
  const int32_t* b_zero_point = nullptr;  // n values, or nullptr for zb = 0
  // The largest A code for which no pair of products in vpmaddubsw leaves int16 (see
  // gemm_u8s8s32_4x16_avx2.cc); above it the split kernel runs.
  int32_t b_safe_a_max = 0;
  void* c = nullptr;  // m x n, element (i, j) at c[i * c_rs + j]
  int64_t c_rs = 0;
  Int8Dtype c_dtype = Int8Dtype::S32;
  const float* scale = nullptr;        // F32: n values (the weights' scales)
  const float* bias = nullptr;         // F32: n values or nullptr
  const double* multiplier = nullptr;  // U8/S8: n values
  const int32_t* bias_s32 = nullptr;   // U8/S8: n values or nullptr
  int32_t c_zero_point = 0;            // U8/S8
  Activation activation = Activation::None;  // F32: any; U8/S8: None or Relu
};

// Runs on get_num_threads() OpenMP threads. Assumes valid arguments (capi checks them).
// Returns false, having written nothing, when a_dynamic_rows finds NaN or inf in A.
bool gemm_int8(const Int8GemmArgs& args);

// Dynamic quantization of float32 A onto uint8 codes [0, a_qmax]: lo = min(A, 0),
// hi = max(A, 0), scale = float32(max((hi - lo) / a_qmax, FLT_MIN)) (1 when that is
// FLT_MIN), zero point = clamp(-rint(lo / scale), 0, a_qmax), all in float64 as
// pykernels.formats.qtensor.choose_qparams. Returns false when A holds NaN or inf.
bool int8_dynamic_qparams(const Int8GemmArgs& args, float* scale, int32_t* zero_point);

// Name of the microkernel gemm_int8 uses on this CPU, e.g. "gemm_u8s8s32_4x16_avx2".
const char* gemm_int8_kernel_name();

// C[rows x 16] = A_rows . B_panel over `groups` groups of 4 along k:
//   a: rows x (4 * groups) uint8 codes, row i at a + i * a_rs,
//   b: one packed panel, groups x 64 bytes,
//   c: row i at c + i * c_rs (the driver's tile buffer, or the int32 output itself).
using Int8Ukernel = void (*)(int64_t groups, const uint8_t* a, int64_t a_rs, const int8_t* b, int32_t* c,
                             int64_t c_rs);

struct Int8Kernels {
  const char* name;
  Int8Ukernel plain[4];  // rows = 1..4, exact for A codes <= b_safe_a_max
  Int8Ukernel split[4];  // rows = 1..4, exact for any A codes
};

const Int8Kernels& int8_kernels();

extern const Int8Kernels kInt8KernelsAvx2;
extern const Int8Kernels kInt8KernelsPortable;

}  // namespace pk
