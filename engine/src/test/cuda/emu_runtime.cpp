// Fibers with a hand-written context switch (x86-64 System V: the callee-saved registers, the
// stack pointer, MXCSR and the x87 control word), about a hundred times cheaper than swapcontext,
// which makes a system call per switch; other targets use ucontext.
#include "emu_runtime.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

thread_local dim3 threadIdx;
thread_local dim3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace emu {
namespace {

constexpr size_t kStackBytes = 256 * 1024;  // per fiber, plus a guard page below
constexpr int kMaxThreads = 1024;
constexpr unsigned char kSharedPoison = 0xff;  // NaN in every float type
constexpr unsigned char kCanary = 0xa5;
const size_t kPage = (size_t)sysconf(_SC_PAGESIZE);

enum State { READY, AT_BARRIER, DONE };

struct Fiber {
  void* sp = nullptr;
#if !defined(__x86_64__)
  ucontext_t ctx;
#endif
  unsigned char* stack = nullptr;  // lowest usable byte (a guard page lies below)
  State state = READY;
  dim3 idx;
};

struct Worker {
  std::vector<Fiber> fibers;
  int live = 0;  // fibers of the current block
  int current = -1;
  void* schedSp = nullptr;
#if !defined(__x86_64__)
  ucontext_t schedCtx;
#endif
  unsigned char* shared = nullptr;  // page-aligned, a guard page after the rounded-up size
  size_t sharedCap = 0;
  size_t sharedBytes = 0;
  const Launch* launch = nullptr;
  std::string error;
  std::vector<int> order;

  ~Worker() {
    for (Fiber& f : fibers)
      if (f.stack) munmap(f.stack - kPage, kStackBytes + kPage);
    if (shared) munmap(shared, sharedCap + kPage);
  }
};

thread_local Worker* tWorker = nullptr;
thread_local const char* tKernel = nullptr;

}  // namespace
}  // namespace emu

#if defined(__x86_64__)
extern "C" void cg_switch(void** save, void* to);
asm(R"(
.text
.globl cg_switch
.type cg_switch,@function
cg_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size cg_switch, .-cg_switch
)");
#endif

namespace emu {
namespace {

[[noreturn]] void fiber_main() {
  Worker* w = tWorker;
  Fiber& f = w->fibers[w->current];
  w->launch->kernel(w->launch->args);
  f.state = DONE;
#if defined(__x86_64__)
  cg_switch(&f.sp, w->schedSp);
#else
  swapcontext(&f.ctx, &w->schedCtx);
#endif
  std::abort();  // a finished fiber is never resumed
}

void switch_to(Worker* w, int i) {
  Fiber& f = w->fibers[i];
  w->current = i;
  threadIdx = f.idx;
#if defined(__x86_64__)
  cg_switch(&w->schedSp, f.sp);
#else
  swapcontext(&w->schedCtx, &f.ctx);
#endif
}

void start_fiber(Worker* w, int i) {
  Fiber& f = w->fibers[i];
  if (!f.stack) {
    void* m = mmap(nullptr, kStackBytes + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      std::perror("emulator: mmap of a fiber stack");
      std::_Exit(70);
    }
    mprotect(m, kPage, PROT_NONE);  // a stack overflow faults instead of corrupting a neighbour
    f.stack = static_cast<unsigned char*>(m) + kPage;
  }
  f.state = READY;
#if defined(__x86_64__)
  uintptr_t top = reinterpret_cast<uintptr_t>(f.stack + kStackBytes) & ~uintptr_t(15);
  uint64_t* s = reinterpret_cast<uint64_t*>(top);
  s[-1] = 0;                                              // fiber_main's (never used) return address
  s[-2] = reinterpret_cast<uint64_t>(&fiber_main);        // where cg_switch's ret goes
  for (int r = 3; r <= 8; r++) s[-r] = 0;                 // rbp rbx r12 r13 r14 r15
  s[-9] = 0x1f80 | (uint64_t(0x037f) << 32);              // default MXCSR, x87 control word
  f.sp = &s[-9];
#else
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = f.stack;
  f.ctx.uc_stack.ss_size = kStackBytes;
  f.ctx.uc_link = nullptr;
  makecontext(&f.ctx, (void (*)())fiber_main, 0);
#endif
}

uint64_t mix(uint64_t z) {  // splitmix64
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void make_order(Worker* w, const Schedule& s, uint64_t block, uint64_t round) {
  std::vector<int>& o = w->order;
  o.resize(w->live);
  for (int i = 0; i < w->live; i++) o[i] = i;
  switch (s.order) {
    case Order::Forward:
      break;
    case Order::Reverse:
      std::reverse(o.begin(), o.end());
      break;
    case Order::Shuffle: {
      uint64_t r = mix(s.seed ^ mix(block * 1000003 + round));
      for (int i = w->live - 1; i > 0; i--) {
        r = mix(r);
        std::swap(o[i], o[(int)(r % (uint64_t)(i + 1))]);
      }
      break;
    }
  }
}

void ensure_shared(Worker* w, size_t bytes) {
  size_t need = std::max<size_t>(kPage, (bytes + kPage - 1) / kPage * kPage);
  if (need != w->sharedCap) {  // exactly sized: the guard page right after this launch's bytes
    if (w->shared) munmap(w->shared, w->sharedCap + kPage);
    void* m = mmap(nullptr, need + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      std::perror("emulator: mmap of shared memory");
      std::_Exit(70);
    }
    w->shared = static_cast<unsigned char*>(m);
    w->sharedCap = need;
    mprotect(w->shared + need, kPage, PROT_NONE);
  }
  w->sharedBytes = bytes;
}

std::string block_name(const dim3& b) {
  return "block (" + std::to_string(b.x) + ", " + std::to_string(b.y) + ", " + std::to_string(b.z) + ")";
}

// One block: every fiber to its next barrier, in the schedule's order, until all have finished.
bool run_block(Worker* w, const Schedule& s, uint64_t linear) {
  std::memset(w->shared, kSharedPoison, w->sharedBytes);
  std::memset(w->shared + w->sharedBytes, kCanary, w->sharedCap - w->sharedBytes);
  const dim3 bd = blockDim;
  w->live = (int)(bd.x * bd.y * bd.z);
  for (int i = 0; i < w->live; i++) {
    w->fibers[i].idx = dim3{(unsigned)(i % bd.x), (unsigned)(i / bd.x % bd.y), (unsigned)(i / (bd.x * bd.y))};
    start_fiber(w, i);
  }
  for (uint64_t round = 0;; round++) {
    make_order(w, s, linear, round);
    for (int i : w->order) switch_to(w, i);
    int done = 0;
    for (int i = 0; i < w->live; i++) done += w->fibers[i].state == DONE;
    if (done == w->live) break;
    if (done != 0) {
      w->error = "__syncthreads() reached by only " + std::to_string(w->live - done) + " of " +
                 std::to_string(w->live) + " threads of " + block_name(blockIdx) + " (the others returned)";
      return false;
    }
    for (int i = 0; i < w->live; i++) w->fibers[i].state = READY;
  }
  for (size_t i = w->sharedBytes; i < w->sharedCap; i++) {
    if (w->shared[i] != kCanary) {
      w->error = "shared memory written at byte " + std::to_string(i) + ", past the launch's " +
                 std::to_string(w->sharedBytes) + " bytes, in " + block_name(blockIdx);
      return false;
    }
  }
  return true;
}

std::mutex gWorkersLock;
std::vector<Worker*> gWorkers;

Worker* worker_for(int index) {
  std::lock_guard<std::mutex> g(gWorkersLock);
  while ((int)gWorkers.size() <= index) {
    Worker* w = new Worker();
    w->fibers.resize(kMaxThreads);
    gWorkers.push_back(w);
  }
  return gWorkers[index];
}

void set_alt_stack() {
  thread_local bool done = false;
  if (done) return;
  stack_t ss;
  ss.ss_sp = std::malloc(64 * 1024);
  ss.ss_size = 64 * 1024;
  ss.ss_flags = 0;
  sigaltstack(&ss, nullptr);
  done = true;
}

}  // namespace

std::string run(const Launch& launch, const Schedule& schedule) {
  const uint64_t blocks = (uint64_t)launch.grid.x * launch.grid.y * launch.grid.z;
  const int workers = (int)std::max<uint64_t>(1, std::min<uint64_t>(schedule.workers, blocks));
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::string> errors(workers);
  auto body = [&](int index) {
    set_alt_stack();
    Worker* w = worker_for(index);
    tWorker = w;
    tKernel = launch.name;
    w->launch = &launch;
    w->error.clear();
    ensure_shared(w, launch.sharedBytes);
    blockDim = launch.block;
    gridDim = launch.grid;
    for (uint64_t k = next++; k < blocks && !failed; k = next++) {
      // Reverse schedules also take the blocks from the last.
      const uint64_t linear = schedule.order == Order::Reverse ? blocks - 1 - k : k;
      blockIdx = dim3{(unsigned)(linear % launch.grid.x), (unsigned)(linear / launch.grid.x % launch.grid.y),
                      (unsigned)(linear / ((uint64_t)launch.grid.x * launch.grid.y))};
      if (!run_block(w, schedule, linear)) {
        errors[index] = w->error;
        failed = true;
      }
    }
    tKernel = nullptr;
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < workers; i++) threads.emplace_back(body, i);
  body(0);
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors)
    if (!e.empty()) return e;
  return "";
}

std::string where() {
  if (!tKernel) return "outside any kernel";
  std::string s = std::string("kernel ") + tKernel + ", " + block_name(blockIdx);
  if (tWorker && tWorker->current >= 0) {
    const dim3 t = tWorker->fibers[tWorker->current].idx;
    s += ", thread (" + std::to_string(t.x) + ", " + std::to_string(t.y) + ", " + std::to_string(t.z) + ")";
  }
  return s;
}

namespace {
void on_fault(int sig, siginfo_t* info, void*) {
  // Only async-signal-safe calls: format by hand, write(2), _exit(2).
  char msg[512];
  std::string w = where();
  int n = std::snprintf(msg, sizeof msg, "emulator: %s at address %p in %s (outside every allocation, a guard page, or a fiber's stack overflowed)\n",
                        sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "SIGFPE", info->si_addr, w.c_str());
  if (n > 0) (void)!write(2, msg, (size_t)std::min(n, (int)sizeof msg - 1));
  _exit(86);
}
}  // namespace

void install_fault_handler() {
  set_alt_stack();
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  sigaction(SIGFPE, &sa, nullptr);
}

}  // namespace emu

void __syncthreads() {
  using namespace emu;
  Worker* w = tWorker;
  Fiber& f = w->fibers[w->current];
  f.state = AT_BARRIER;
#if defined(__x86_64__)
  cg_switch(&f.sp, w->schedSp);
#else
  swapcontext(&f.ctx, &w->schedCtx);
#endif
}

unsigned char* cg_emu_dynamic_shared() { return emu::tWorker->shared; }

void cg_emu_fail(const char* what) {
  std::string msg = std::string("emulator: ") + what + " in " + emu::where() + "\n";
  (void)!write(2, msg.data(), msg.size());
  _exit(87);
}
