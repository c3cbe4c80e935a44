// C ABI for the embedding gather: every id is checked against the table before any row is copied.
#include <string>

#include "capi/errors.h"
#include "cpu/embedding/embedding.h"

extern "C" PK_API int pk_embedding_f32(const int64_t* ids, int64_t n, const float* table, int64_t rows, int64_t dim,
                                       float* out) {
  return pk::guarded([&] {
    if (n < 0 || rows < 0 || dim < 0)
      return pk::argument_error("pk_embedding_f32: negative size (n=" + std::to_string(n) + ", rows=" + std::to_string(rows) +
                                ", dim=" + std::to_string(dim) + ")");
    if (n > 0 && (!ids || !out || (dim > 0 && !table))) return pk::argument_error("pk_embedding_f32: an array is NULL");
    for (int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= rows)
        return pk::argument_error("pk_embedding_f32: ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is outside [0, " +
                                  std::to_string(rows) + ")");
    }
    pk::embedding_gather(ids, n, table, dim, out);
    return PK_OK;
  });
}
