// The emulated device's execution of one kernel launch: blocks spread over a few persistent worker
// threads, each block run as fibers (one per CUDA thread) on one worker, switching at
// __syncthreads(). Between two barriers the block's threads run one after another, in an order
// that the schedule varies (forward, reverse, shuffled per block and barrier), so that a kernel
// that reads what another thread writes without a barrier between gives different results under
// different schedules, as it would on a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "convgrad_args.cuh"

namespace emu {

typedef void (*Kernel)(ConvArgs);

enum class Order : uint64_t { Forward = 0, Reverse = 1, Shuffle = 2 };

struct Schedule {
  Order order = Order::Shuffle;
  uint64_t seed = 1;
  int workers = 2;
};

struct Launch {
  const char* name;
  Kernel kernel;
  dim3 grid, block;
  size_t sharedBytes;
  ConvArgs args;
};

// Runs every block of the launch; returns an empty string, or what went wrong (a barrier reached
// by only some threads of a block, shared memory written past its size, a wmma precondition).
std::string run(const Launch& launch, const Schedule& schedule);

// Which kernel and block are running on this thread, for the fault handler's message.
std::string where();

void install_fault_handler();

}  // namespace emu
