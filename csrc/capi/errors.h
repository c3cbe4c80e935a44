// Error reporting for the C ABI: a thread-local last-error message.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "include/pykernels.h"

namespace pk {

void set_last_error(const std::string& message);

// Records `message` as this thread's last error and returns PK_ERR_ARGUMENT.
int argument_error(const std::string& message);

// Runs `body` (which returns a PK_* code), turning C++ exceptions into PK_ERR_INTERNAL.
template <typename Body>
int guarded(Body&& body) {
  try {
    set_last_error("");
    return body();
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
  } catch (const std::exception& e) {
    set_last_error(e.what());
  }
  return PK_ERR_INTERNAL;
}

}  // namespace pk
