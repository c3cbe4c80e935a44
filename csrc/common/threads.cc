#include "common/threads.h"

#include <omp.h>

#include <atomic>

namespace pk {
namespace {

std::atomic<int>& thread_count() {
  static std::atomic<int> count{omp_get_max_threads()};
  return count;
}

}  // namespace

int get_num_threads() { return thread_count().load(std::memory_order_relaxed); }

void set_num_threads(int n) { thread_count().store(n < 1 ? 1 : n, std::memory_order_relaxed); }

}  // namespace pk
