#include "cpu/int8/quantize.h"

#include "common/cpu_features.h"

namespace pk {

void quantize_row(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q) {
  (active_isa() == Isa::Avx2 ? quantize_f32_avx2 : quantize_f32_portable)(x, n, p, dtype, q);
}

void dequantize_row(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                    const int32_t* zero_point, int64_t zero_point_stride, float* y) {
  (active_isa() == Isa::Avx2 ? dequantize_f32_avx2 : dequantize_f32_portable)(q, dtype, n, scale, scale_stride,
                                                                             zero_point, zero_point_stride, y);
}

void requantize_row(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q) {
  (active_isa() == Isa::Avx2 ? requantize_s32_avx2 : requantize_s32_portable)(x, n, p, dtype, q);
}

bool minmax_row(const float* x, int64_t n, float* lo, float* hi) {
  return (active_isa() == Isa::Avx2 ? minmax_f32_avx2 : minmax_f32_portable)(x, n, lo, hi);
}

}  // namespace pk
