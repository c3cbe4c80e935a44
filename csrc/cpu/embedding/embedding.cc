// Embedding gather: one memcpy per id (a row of dim floats), rows split over OpenMP
// threads once there is enough to copy. Memory-bound; no ISA variants needed.
#include "cpu/embedding/embedding.h"

#include <algorithm>
#include <cstring>

#include "common/threads.h"

namespace pk {

void embedding_gather(const int64_t* ids, int64_t n, const float* table, int64_t dim, float* out) {
  const int threads = n * dim >= (1 << 18) ? get_num_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * dim, table + ids[i] * dim, dim * sizeof(float));
}

}  // namespace pk
