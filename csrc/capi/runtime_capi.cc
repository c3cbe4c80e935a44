// C ABI for the thread count and the last error.
#include <string>

#include "capi/errors.h"
#include "common/threads.h"

namespace pk {
namespace {
thread_local std::string last_error;
}  // namespace

void set_last_error(const std::string& message) { last_error = message; }

int argument_error(const std::string& message) {
  last_error = message;
  return PK_ERR_ARGUMENT;
}

}  // namespace pk

extern "C" PK_API const char* pk_last_error(void) { return pk::last_error.c_str(); }

extern "C" PK_API int pk_get_num_threads(void) { return pk::get_num_threads(); }

extern "C" PK_API int pk_set_num_threads(int n) {
  if (n < 1) return pk::argument_error("pk_set_num_threads: n must be >= 1, got " + std::to_string(n));
  pk::set_num_threads(n);
  return PK_OK;
}
