// Flash-attention microkernels, float32, for CPUs without AVX2: the contracts of
// sdpa.h in plain loops (the compiler vectorizes them for the baseline ISA). Same
// algorithm and numerics as the AVX2 file (log2-unit scores, lazy rescaling); libm exp2.
#include <cmath>

#include "cpu/attention/sdpa.h"

namespace pk {
namespace {

constexpr int64_t MR = SDPA_MR;
constexpr float LAZY_RESCALE_LOG2 = 8.0f;

void pack_keys(const float* k, int64_t k_sn, int64_t keys, int64_t d, float* kp) {
  for (int64_t p = 0; p < keys; p += 16) {
    float* panel = kp + p * d;
    const int64_t width = keys - p < 16 ? keys - p : 16;
    for (int64_t c = 0; c < width; ++c) {
      const float* key = k + (p + c) * k_sn;
      for (int64_t i = 0; i < d; ++i) panel[i * 16 + c] = key[i];
    }
    for (int64_t c = width; c < 16; ++c)
      for (int64_t i = 0; i < d; ++i) panel[i * 16 + c] = 0.0f;
  }
}

void scores(const float* q, int64_t d, const float* kp, int64_t panels, float* s, int64_t s_rs) {
  for (int64_t p = 0; p < panels; ++p) {
    const float* k = kp + p * d * 16;
    for (int64_t r = 0; r < MR; ++r) {
      float acc[16] = {};
      for (int64_t i = 0; i < d; ++i)
        for (int c = 0; c < 16; ++c) acc[c] += q[r * d + i] * k[i * 16 + c];
      for (int c = 0; c < 16; ++c) s[r * s_rs + p * 16 + c] = acc[c];
    }
  }
}

void softmax_rows(float* s, int64_t s_rs, int64_t keys, float* m, float* l, float* alpha) {
  for (int64_t r = 0; r < MR; ++r) {
    float* row = s + r * s_rs;
    float block_max = -INFINITY;
    for (int64_t j = 0; j < keys; ++j) block_max = row[j] > block_max ? row[j] : block_max;
    float a = 1.0f;
    if (block_max > m[r] + LAZY_RESCALE_LOG2) {
      a = std::exp2(m[r] - block_max);
      m[r] = block_max;
    }
    const float shift = m[r] == -INFINITY ? 0.0f : m[r];
    float sum = 0.0f;
    for (int64_t j = 0; j < keys; ++j) {
      row[j] = std::exp2(row[j] - shift);
      sum += row[j];
    }
    l[r] = l[r] * a + sum;
    alpha[r] = a;
  }
}

void accumulate(const float* s, int64_t s_rs, int64_t keys, const float* vp, int64_t dp, float* o,
                const float* alpha) {
  for (int64_t r = 0; r < MR; ++r) {
    float* out = o + r * dp;
    for (int64_t c = 0; c < dp; ++c) out[c] *= alpha[r];
    for (int64_t k = 0; k < keys; ++k) {
      const float p = s[r * s_rs + k];
      for (int64_t c = 0; c < dp; ++c) out[c] += p * vp[k * dp + c];
    }
  }
}

}  // namespace

const SdpaKernels sdpa_kernels_f32_portable = {pack_keys, scores, softmax_rows, accumulate};

}  // namespace pk
