// One entry per CPU target: the microkernel and the cache blocking around it (BLIS
// style: a new CPU is one microkernel file and one config entry).
#pragma once

#include <cstdint>

namespace pk {

// C[MR x NR] (row stride ldc) = (accumulate ? C : 0) + A_panel . B_panel, where
//   a: the packed A micro-panel, k columns of MR values (a[p * MR + i]),
//   b: k rows of NR values, row p at b + p * ldb (ldb = NR when packed).
using SgemmUkernel = void (*)(int64_t k, const float* a, const float* b, int64_t ldb,
                              float* c, int64_t ldc, bool accumulate);

struct SgemmConfig {
  const char* name;
  int mr, nr;           // register tile
  int64_t mc, kc, nc;   // cache blocks: A block mc x kc in L2, B panel kc x nr in L1
  SgemmUkernel ukernel;
};

void sgemm_ukernel_6x16_avx2(int64_t k, const float* a, const float* b, int64_t ldb,
                             float* c, int64_t ldc, bool accumulate);
void sgemm_ukernel_4x8_portable(int64_t k, const float* a, const float* b, int64_t ldb,
                                float* c, int64_t ldc, bool accumulate);

// The config for the active ISA.
const SgemmConfig& sgemm_config();

}  // namespace pk
