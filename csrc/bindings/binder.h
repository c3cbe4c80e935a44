// Each kernel family binds its functions in its own file, bind_<family>.cc:
//
//   PK_BIND_FAMILY(conv) { m.def("conv2d_f32", ...); }
//
// The macro registers the binder at static-initialisation time and module.cc runs every
// registered binder, so adding a family never edits a shared file.
#pragma once

#include <pybind11/pybind11.h>

namespace pk::bindings {

using Binder = void (*)(pybind11::module_&);

struct BinderRegistration {
  BinderRegistration(const char* family, Binder binder);
};

// Runs every registered binder on m, in order of family name (deterministic).
void bind_all(pybind11::module_& m);

}  // namespace pk::bindings

#define PK_BIND_FAMILY(family)                                                               \
  static void pk_bind_##family(pybind11::module_& m);                                        \
  static const pk::bindings::BinderRegistration pk_binder_##family(#family, pk_bind_##family); \
  static void pk_bind_##family(pybind11::module_& m)
