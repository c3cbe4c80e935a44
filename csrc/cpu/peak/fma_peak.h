// Measures the machine's floating-point peak: the reference point for "% of peak".
#pragma once

#include <cstdint>

namespace pk {

// Runs `iterations` rounds of independent FMA chains; returns the flops executed.
// The result of the chains is written to *sink so nothing is optimized away.
double fma_chains_avx2(int64_t iterations, float* sink);
double fma_chains_portable(int64_t iterations, float* sink);

// Measured float32 peak in GFLOP/s on `threads` threads (each runs its own chains).
double measure_fma_peak_gflops(int threads, double seconds);

}  // namespace pk
