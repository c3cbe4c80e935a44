// Quantization primitives, portable scalar code (the semantics are in quantize.h).
#include <cmath>

#include "cpu/int8/quantize.h"

namespace pk {
namespace {

void store(void* q, QDtype dtype, int64_t j, int32_t v) {
  if (dtype == QDtype::S8) {
    static_cast<int8_t*>(q)[j] = static_cast<int8_t>(v);
  } else {
    static_cast<uint8_t*>(q)[j] = static_cast<uint8_t>(v);
  }
}

int32_t load(const void* q, QDtype dtype, int64_t j) {
  return dtype == QDtype::S8 ? static_cast<const int8_t*>(q)[j] : static_cast<const uint8_t*>(q)[j];
}

}  // namespace

void quantize_f32_portable(const float* x, int64_t n, const QuantizeParams& p, QDtype dtype, void* q) {
  for (int64_t j = 0; j < n; ++j) {
    const int32_t zp = p.zero_point[j * p.zero_point_stride];
    float v = x[j] / p.scale[j * p.scale_stride];
    if (std::isnan(v)) v = 0.0f;
    v = std::fmin(std::fmax(v, static_cast<float>(p.lo - zp)), static_cast<float>(p.hi - zp));
    store(q, dtype, j, static_cast<int32_t>(std::nearbyint(v)) + zp);
  }
}

void dequantize_f32_portable(const void* q, QDtype dtype, int64_t n, const float* scale, int64_t scale_stride,
                             const int32_t* zero_point, int64_t zero_point_stride, float* y) {
  for (int64_t j = 0; j < n; ++j) {
    y[j] = static_cast<float>(load(q, dtype, j) - zero_point[j * zero_point_stride]) * scale[j * scale_stride];
  }
}

void requantize_s32_portable(const int32_t* x, int64_t n, const RequantizeParams& p, QDtype dtype, void* q) {
  for (int64_t j = 0; j < n; ++j) {
    const int32_t zp = p.zero_point[j * p.zero_point_stride];
    double v = std::nearbyint(static_cast<double>(x[j]) * p.multiplier[j * p.multiplier_stride]);
    v = std::fmin(std::fmax(v, static_cast<double>(p.lo - zp)), static_cast<double>(p.hi - zp));
    store(q, dtype, j, static_cast<int32_t>(v) + zp);
  }
}

bool minmax_f32_portable(const float* x, int64_t n, float* lo, float* hi) {
  bool nan = false;
  float mn = x[0], mx = x[0];
  for (int64_t j = 0; j < n; ++j) {
    nan |= std::isnan(x[j]);
    mn = std::fmin(mn, x[j]);
    mx = std::fmax(mx, x[j]);
  }
  *lo = mn, *hi = mx;
  return nan;
}

}  // namespace pk
