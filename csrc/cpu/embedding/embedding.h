// Embedding lookup: rows of a table gathered by integer ids.
#pragma once

#include <cstdint>

namespace pk {

// out[i, :] = table[ids[i], :] for i < n; ids already checked to lie in [0, rows).
void embedding_gather(const int64_t* ids, int64_t n, const float* table, int64_t dim, float* out);

}  // namespace pk
