// cpuid / xgetbv probing. AVX2 kernels are used only when the CPU has AVX2 and FMA
// and the OS saves YMM state; PYKERNELS_ISA caps the choice (like ONEDNN_MAX_CPU_ISA).
#include "common/cpu_features.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>

namespace pk {
namespace {

CpuFeatures probe() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = ecx & bit_OSXSAVE;
  f.fma = ecx & bit_FMA;
  f.f16c = ecx & bit_F16C;
  if (osxsave) {
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    f.os_saves_ymm = (lo & 0x6) == 0x6;
  }
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = ebx & bit_AVX2;
    f.avx512f = ebx & bit_AVX512F;
  }
  return f;
}

Isa choose_isa() {
  const CpuFeatures& f = cpu_features();
  Isa best = (f.avx2 && f.fma && f.os_saves_ymm) ? Isa::Avx2 : Isa::Portable;
  const char* cap = std::getenv("PYKERNELS_ISA");
  if (cap && std::strcmp(cap, "portable") == 0) return Isa::Portable;
  return best;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = probe();
  return features;
}

Isa active_isa() {
  static const Isa isa = choose_isa();
  return isa;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2" : "portable"; }

}  // namespace pk
