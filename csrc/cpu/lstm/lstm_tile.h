// The fused LSTM step tile: for up to 3 batch rows and one block of 8 hidden units,
//
//   acc[gate] = x_gates + h_prev . W_block        (4 gates x 8 units, in registers)
//   c = sigmoid(f) c + sigmoid(i) tanh(g);  h = sigmoid(o) tanh(c)
//
// W_block is W_hh packed for the block: rows of 32 floats, (i f g o) x 8 units, zero
// for units past the hidden size (lstm_pack.h). The product may be split into chunks of
// k rows (so a chunk of W_block stays in L1 across all the batch's tiles): every chunk
// but the first starts from the row's `partial` sums, every chunk but the last stores
// them there, and only the last adds the input gates and runs the gate math.
#pragma once

#include <cstdint>

namespace pk {

constexpr int kLstmTileRows = 3;   // batch rows per tile
constexpr int kLstmBlockUnits = 8;  // hidden units per block (one ymm per gate)

struct LstmTileRows {
  const float* h[kLstmTileRows];  // previous state rows, k values each
  const float* x[kLstmTileRows];  // gate pre-activations from the input (bias included) at
                                  // this block's first unit; gate g at x + g * gate_stride
  float* c[kLstmTileRows];        // cell state at the block's first unit (read, then written)
  float* out[kLstmTileRows];      // new hidden values at the block's first unit
  float* out2[kLstmTileRows];     // a second destination for them, or nullptr
  float* partial[kLstmTileRows];  // 32 partial gate sums between chunks (unused with one chunk)
};

struct LstmChunk {
  bool first, last;  // the first / last k chunk of the block's product
};

// `rows` in 1..kLstmTileRows, `units` in 1..kLstmBlockUnits valid hidden units; w_block
// and r.h point at the chunk's first k row.
using LstmTileKernel = void (*)(int rows, int units, int64_t k, const float* w_block, int64_t gate_stride,
                                const LstmTileRows& r, LstmChunk chunk);

void lstm_tile_f32_3x32_avx2(int rows, int units, int64_t k, const float* w_block, int64_t gate_stride,
                             const LstmTileRows& r, LstmChunk chunk);
void lstm_tile_f32_portable(int rows, int units, int64_t k, const float* w_block, int64_t gate_stride,
                            const LstmTileRows& r, LstmChunk chunk);

}  // namespace pk
