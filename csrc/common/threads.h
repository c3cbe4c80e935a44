// The number of threads every parallel kernel uses. One process-wide value (not
// OpenMP's per-thread ICV), so a kernel called from any Python thread honours
// set_num_threads; it starts at OMP_NUM_THREADS, or all cores.
#pragma once

namespace pk {

int get_num_threads();
void set_num_threads(int n);

}  // namespace pk
