// Run-time CPU feature detection and the ISA cap (PYKERNELS_ISA=portable|avx2).
#pragma once

namespace pk {

enum class Isa { Portable = 0, Avx2 = 1 };

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool os_saves_ymm = false;
};

// What the CPU and the OS support (cpuid + xgetbv), read once.
const CpuFeatures& cpu_features();

// The ISA the kernels use: the best one the CPU supports, capped by PYKERNELS_ISA.
Isa active_isa();

const char* isa_name(Isa isa);

}  // namespace pk
