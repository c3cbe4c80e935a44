// The number of threads every parallel kernel uses. One process-wide value (not
// OpenMP's per-thread ICV), so a kernel called from any Python thread honours
// set_num_threads; it starts at OMP_NUM_THREADS, or all cores.
#pragma once

namespace pk {

int get_num_threads();
void set_num_threads(int n);

// body() on `threads` OpenMP threads (its worksharing loops and barriers bind to that
// team); on one thread it is called directly, because libgomp's region setup costs
// 0.35-0.55 us even with num_threads(1), a few percent of a batch-1 GEMM.
template <class Body>
void parallel_region(int threads, Body&& body) {
  if (threads <= 1) {
    body();
    return;
  }
#pragma omp parallel num_threads(threads)
  body();
}

}  // namespace pk
