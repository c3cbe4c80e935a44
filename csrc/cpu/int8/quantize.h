// Quantization primitives on contiguous rows, dispatched by ISA:
//
//   quantize    q = clamp(rint(x / scale) + zero_point, lo, hi)   float32 -> int8/uint8
//   dequantize  y = (q - zero_point) * scale                      int8/uint8 -> float32
//   requantize  q = clamp(rint(double(x) * multiplier) + zero_point, lo, hi)   int32 -> int8/uint8
//
// rint rounds half to even (NumPy's np.rint / np.round). x / scale is one IEEE float32
// division (not a multiplication by 1/scale), NaN quantizes to the zero point (the code of
// 0.0) and +-inf saturate, so every backend produces the same bits. requantize works in
// float64: int32 x float32 multiplier is exact there, then rounded once.
//
// Each parameter is a pointer and a stride, 0 (one value for the row) or 1 (one value
// per element, e.g. per output channel along a row).
#pragma once

#include <cstdint>

namespace pk {

// Values are part of the C ABI (include/pykernels.h: PK_QDTYPE_*).
enum class QDtype : int { U8 = 0, S8 = 1 };

struct QuantizeParams {
  const float* scale;
  int64_t scale_stride;
  const int32_t* zero_point;
  int64_t zero_point_stride;
  int32_t lo, hi;  // the code range, inside the dtype's
};

struct RequantizeParams {
  const double* multiplier;
  int64_t multiplier_stride;
  const int32_t* zero_point;
  int64_t zero_point_stride;
  int32_t lo, hi;
};

void quantize_row(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q);
void dequantize_row(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                    const int32_t* zero_point, int64_t zero_point_stride, float* y);
void requantize_row(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q);
// min and max of n floats (n >= 1); returns true when some x[i] is NaN.
bool minmax_row(const float* x, int64_t n, float* lo, float* hi);

// ISA variants, chosen by the functions above.
void quantize_f32_avx2(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q);
void quantize_f32_portable(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q);
void dequantize_f32_avx2(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                         const int32_t* zero_point, int64_t zero_point_stride, float* y);
void dequantize_f32_portable(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                             const int32_t* zero_point, int64_t zero_point_stride, float* y);
void requantize_s32_avx2(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q);
void requantize_s32_portable(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q);
bool minmax_f32_avx2(const float* x, int64_t n, float* lo, float* hi);
bool minmax_f32_portable(const float* x, int64_t n, float* lo, float* hi);

}  // namespace pk
