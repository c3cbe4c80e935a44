#include "bindings/binder.h"

#include <map>
#include <string>

namespace pk::bindings {

namespace {
std::map<std::string, Binder>& binders() {
  static std::map<std::string, Binder> registered;  // constructed on first use
  return registered;
}
}  // namespace

BinderRegistration::BinderRegistration(const char* family, Binder binder) { binders()[family] = binder; }

void bind_all(pybind11::module_& m) {
  for (const auto& entry : binders()) entry.second(m);
}

}  // namespace pk::bindings
