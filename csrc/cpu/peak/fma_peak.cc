// Times the FMA probe of the active ISA on each thread and reports the best rate seen.
#include "cpu/peak/fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "common/cpu_features.h"

namespace pk {

double measure_fma_peak_gflops(int threads, double seconds) {
  const bool avx2 = active_isa() == Isa::Avx2;
  const int64_t chunk = 1 << 20;
  double total = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  {
    float sink = 0.0f;
    double best = 0.0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    while (elapsed < seconds) {
      const auto t0 = std::chrono::steady_clock::now();
      const double flops = avx2 ? fma_chains_avx2(chunk, &sink) : fma_chains_portable(chunk, &sink);
      const auto t1 = std::chrono::steady_clock::now();
      best = std::max(best, flops / std::chrono::duration<double>(t1 - t0).count());
      elapsed = std::chrono::duration<double>(t1 - start).count();
    }
    volatile float keep = sink;
    (void)keep;
    total += best;
  }
  return total * 1e-9;
}

}  // namespace pk
