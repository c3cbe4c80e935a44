// C ABI for the f32 SpMM: checks what the driver relies on (sizes, pointers, and the
// sparse metadata it indexes with: monotone indptr, indices and positions in range),
// then runs it; and the sparse-weight convolution, whose weights are checked the same way. The Python formats validate the same metadata with friendlier messages.
#include <algorithm>
#include <string>

#include "capi/conv_desc.h"
#include "capi/errors.h"
#include "cpu/conv/conv2d_sparse.h"
#include "cpu/spmm/spmm.h"

namespace {

std::string dims(int64_t m, int64_t k, int64_t n) {
  return "m=" + std::to_string(m) + ", k=" + std::to_string(k) + ", n=" + std::to_string(n);
}

// Whether bad(i) holds for some i < count. No early exit, so the compiler vectorises
// the scan (the metadata of a large weight is checked on every call); callers find
// the first bad entry only when there is one.
template <typename Bad>
bool any_of_n(int64_t count, Bad bad) {
  unsigned found = 0;
  for (int64_t i = 0; i < count; ++i) found |= static_cast<unsigned>(bad(i));
  return found != 0;
}

// The checks shared by both formats; "" when fine.
std::string check_common(const char* fn, int64_t m, int64_t k, int64_t n, const float* x, float* y, int64_t y_rs,
                         int activation) {
  if (m < 0 || k < 0 || n < 0) return std::string(fn) + ": negative size (" + dims(m, k, n) + ")";
  if (m > 0 && n > 0 && !y) return std::string(fn) + ": y is NULL";
  if (m > 0 && n > 0 && k > 0 && !x) return std::string(fn) + ": x is NULL";
  if (m > 1 && y_rs < n && y_rs > -n)
    return std::string(fn) + ": rows of y overlap: |y_rs| = " + std::to_string(y_rs) + " < n = " + std::to_string(n);
  if (activation < PK_ACT_NONE || activation > PK_ACT_GELU)
    return std::string(fn) + ": unknown activation " + std::to_string(activation);
  return "";
}

std::string check_bsr(int64_t m, int64_t k, int r, int c, const int32_t* indptr, const int32_t* indices,
                      const float* values) {
  if (r < 1 || c < 1) return "pk_spmm_bsr_f32: block must be positive, got " + std::to_string(r) + "x" + std::to_string(c);
  if (m % r || k % c)
    return "pk_spmm_bsr_f32: " + dims(m, k, 0) + " is not a multiple of the block " + std::to_string(r) + "x" +
           std::to_string(c);
  if (!indptr) return "pk_spmm_bsr_f32: indptr is NULL";
  const int64_t rows = m / r, cols = k / c;
  if (indptr[0] != 0) return "pk_spmm_bsr_f32: indptr[0] = " + std::to_string(indptr[0]) + ", expected 0";
  if (any_of_n(rows, [&](int64_t i) { return indptr[i + 1] < indptr[i]; })) {
    int64_t i = 0;
    while (indptr[i + 1] >= indptr[i]) ++i;
    return "pk_spmm_bsr_f32: indptr decreases at row " + std::to_string(i);
  }
  if (indptr[rows] > 0 && (!indices || !values)) return "pk_spmm_bsr_f32: indices or values is NULL";
  // 32-bit compares (they vectorise): a negative index reads as >= 2^31 unsigned.
  const uint32_t limit = static_cast<uint32_t>(std::min<int64_t>(cols, int64_t{1} << 31));
  const auto outside = [&](int64_t b) { return static_cast<uint32_t>(indices[b]) >= limit; };
  if (any_of_n(indptr[rows], outside)) {
    int64_t b = 0;
    while (!outside(b)) ++b;
    return "pk_spmm_bsr_f32: index " + std::to_string(indices[b]) + " at " + std::to_string(b) +
           " is out of range [0, " + std::to_string(cols) + ")";
  }
  return "";
}

std::string check_nm(int64_t m, int64_t k, int nm_n, int nm_m, const uint8_t* positions, const float* values) {
  if (nm_n < 1 || nm_m < nm_n || nm_m > 256)
    return "pk_spmm_nm_f32: expected 1 <= n <= m <= 256, got " + std::to_string(nm_n) + ":" + std::to_string(nm_m);
  if (k % nm_m) return "pk_spmm_nm_f32: k = " + std::to_string(k) + " is not a multiple of m = " + std::to_string(nm_m);
  const int64_t count = m * (k / nm_m * nm_n);
  if (count > 0 && (!positions || !values)) return "pk_spmm_nm_f32: positions or values is NULL";
  const auto outside = [&](int64_t t) { return positions[t] >= nm_m; };
  if (any_of_n(count, outside)) {
    int64_t t = 0;
    while (!outside(t)) ++t;
    return "pk_spmm_nm_f32: position " + std::to_string(positions[t]) + " at " + std::to_string(t) +
           " is not below m = " + std::to_string(nm_m);
  }
  return "";
}

pk::SpmmArgs dense_side(int64_t m, int64_t k, int64_t n, const float* x, int64_t x_rs, int64_t x_cs, float* y,
                        int64_t y_rs, const float* bias, int activation) {
  pk::SpmmArgs g;
  g.m = m, g.k = k, g.n = n;
  g.x = x, g.x_rs = x_rs, g.x_cs = x_cs;
  g.y = y, g.y_rs = y_rs;
  g.bias = bias;
  g.activation = static_cast<pk::Activation>(activation);
  return g;
}

}  // namespace

extern "C" PK_API int pk_spmm_bsr_f32(int64_t m, int64_t k, int64_t n, int r, int c, const int32_t* indptr,
                                      const int32_t* indices, const float* values, const float* x, int64_t x_rs,
                                      int64_t x_cs, float* y, int64_t y_rs, const float* bias, int activation) {
  return pk::guarded([&] {
    std::string error = check_common("pk_spmm_bsr_f32", m, k, n, x, y, y_rs, activation);
    if (error.empty()) error = check_bsr(m, k, r, c, indptr, indices, values);
    if (!error.empty()) return pk::argument_error(error);
    pk::SpmmArgs g = dense_side(m, k, n, x, x_rs, x_cs, y, y_rs, bias, activation);
    g.format = pk::SparseFormat::Bsr;
    g.r = r, g.c = c;
    g.indptr = indptr, g.indices = indices, g.values = values;
    pk::spmm(g);
    return PK_OK;
  });
}

extern "C" PK_API int pk_spmm_nm_f32(int64_t m, int64_t k, int64_t n, int nm_n, int nm_m, const uint8_t* positions,
                                     const float* values, const float* x, int64_t x_rs, int64_t x_cs, float* y,
                                     int64_t y_rs, const float* bias, int activation) {
  return pk::guarded([&] {
    std::string error = check_common("pk_spmm_nm_f32", m, k, n, x, y, y_rs, activation);
    if (error.empty()) error = check_nm(m, k, nm_n, nm_m, positions, values);
    if (!error.empty()) return pk::argument_error(error);
    pk::SpmmArgs g = dense_side(m, k, n, x, x_rs, x_cs, y, y_rs, bias, activation);
    g.format = pk::SparseFormat::Nm;
    g.nm_n = nm_n, g.nm_m = nm_m;
    g.positions = positions, g.values = values;
    pk::spmm(g);
    return PK_OK;
  });
}

extern "C" PK_API int pk_conv2d_sparse_f32_nhwc(const pk_conv2d_desc* desc, const float* x, const pk_sparse_f32* w,
                                                const float* bias, int activation, float* y) {
  return pk::guarded([&] {
    const char* fn = "pk_conv2d_sparse_f32_nhwc";
    if (!desc || !w) return pk::argument_error(std::string(fn) + ": desc or w is NULL");
    const pk_conv2d_desc& d = *desc;
    std::string error = pk::conv_desc_error(d);
    if (error.empty() && d.groups != 1) error = "groups must be 1, got " + std::to_string(d.groups);
    if (!error.empty()) return pk::argument_error(std::string(fn) + ": " + error);
    pk::Conv2dProblem p{d, 0, 0, x, nullptr, {0, 0, 0, 0}, bias, static_cast<pk::Activation>(activation), y};
    p.out_h = pk::conv_out_size(d.in_h, d.pad_top, d.pad_bottom, d.kernel_h, d.stride_h, d.dilation_h);
    p.out_w = pk::conv_out_size(d.in_w, d.pad_left, d.pad_right, d.kernel_w, d.stride_w, d.dilation_w);
    const int64_t taps = d.kernel_h * d.kernel_w * d.in_c, pixels = d.batch * p.out_h * p.out_w;
    error = check_common(fn, d.out_c, taps, pixels, x, y, pixels, activation);
    if (error.empty()) {
      if (w->format == 0) {
        error = check_bsr(d.out_c, taps, w->r, w->c, w->indptr, w->indices, w->values);
      } else if (w->format == 1) {
        error = check_nm(d.out_c, taps, w->nm_n, w->nm_m, w->positions, w->values);
      } else {
        error = std::string(fn) + ": unknown sparse format " + std::to_string(w->format);
      }
    }
    if (!error.empty()) return pk::argument_error(error);
    pk::SpmmArgs g;
    g.format = static_cast<pk::SparseFormat>(w->format);
    g.r = w->r, g.c = w->c, g.indptr = w->indptr, g.indices = w->indices;
    g.nm_n = w->nm_n, g.nm_m = w->nm_m, g.positions = w->positions;
    g.values = w->values;
    pk::conv2d_sparse_f32_nhwc(p, g);
    return PK_OK;
  });
}
