// The emulated device as a process: device memory, copies and kernel launches, driven over
// stdin/stdout by the engine's tests (EmulatedDevice.java). A separate process, so that a kernel
// that faults or loops fails its test (the JVM sees the process die, or times out and kills it)
// instead of taking the JVM down.
//
// Protocol: little-endian u64 words. A request is one command byte and its words; a reply is one
// status byte (0 ok, 1 error), then the result words, or for an error a length and a message.
//   'A' bytes              -> address       allocate (contents poisoned: 0xff, NaN in every type)
//   'F' address                            free
//   'W' address length data                copy to the device
//   'R' address length     -> data         copy from the device
//   'M'                    -> free total   memory
//   'X' total                              set the emulated memory size
//   'O' order seed workers                 the schedule (emu::Order), for the launches after it
//   'L' name-length name gx gy gz bx by bz shared words-count words...   launch and wait
//   'I'                    -> words        sizeof(ConvArgs) / 8
//   'Q'                                    exit
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "emu_runtime.h"

namespace {

const size_t kPage = (size_t)sysconf(_SC_PAGESIZE);
constexpr unsigned char kCanary = 0xa5;

// An allocation: 256-byte aligned (as cuMemAlloc's), ending at a guard page up to the 256-byte
// rounding, which holds canaries, as do the bytes before it in its first page.
struct Allocation {
  unsigned char* map;
  size_t mapBytes;
  unsigned char* start;
  size_t bytes;
  size_t body;  // bytes rounded up to 256
};

std::map<uintptr_t, Allocation> gAllocs;  // by start address
size_t gTotal = 1ull << 30;
size_t gUsed = 0;
emu::Schedule gSchedule;

bool read_all(void* p, size_t n) {
  unsigned char* c = static_cast<unsigned char*>(p);
  while (n > 0) {
    ssize_t r = read(0, c, n);
    if (r <= 0) return false;
    c += r;
    n -= (size_t)r;
  }
  return true;
}

void write_all(const void* p, size_t n) {
  const unsigned char* c = static_cast<const unsigned char*>(p);
  while (n > 0) {
    ssize_t r = write(1, c, n);
    if (r <= 0) std::_Exit(71);
    c += r;
    n -= (size_t)r;
  }
}

uint64_t word() {
  uint64_t v;
  if (!read_all(&v, 8)) std::_Exit(0);  // the JVM closed the pipe
  return v;
}

void ok() {
  unsigned char s = 0;
  write_all(&s, 1);
}

void ok(std::initializer_list<uint64_t> words) {
  ok();
  for (uint64_t w : words) write_all(&w, 8);
}

void fail(const std::string& msg) {
  unsigned char s = 1;
  write_all(&s, 1);
  uint64_t n = msg.size();
  write_all(&n, 8);
  write_all(msg.data(), msg.size());
}

// The allocation holding [addr, addr + len), or null.
const Allocation* find(uint64_t addr, uint64_t len) {
  auto it = gAllocs.upper_bound((uintptr_t)addr);
  if (it == gAllocs.begin()) return nullptr;
  --it;
  const Allocation& a = it->second;
  uintptr_t s = (uintptr_t)a.start;
  if (addr < s || addr + len > s + a.bytes || addr + len < addr) return nullptr;
  return &a;
}

void allocate(uint64_t bytes) {
  const size_t body = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  if (gUsed + body > gTotal) {
    fail("CUDA_ERROR_OUT_OF_MEMORY: out of memory (" + std::to_string(bytes) + " bytes asked, " +
         std::to_string(gTotal - gUsed) + " free)");
    return;
  }
  const size_t data = (body + kPage - 1) / kPage * kPage;
  const size_t mapBytes = data + 2 * kPage;
  void* m = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    fail("CUDA_ERROR_OUT_OF_MEMORY: the emulator's mmap failed");
    return;
  }
  unsigned char* map = static_cast<unsigned char*>(m);
  mprotect(map, kPage, PROT_NONE);
  mprotect(map + kPage + data, kPage, PROT_NONE);
  unsigned char* start = map + kPage + (data - body);
  std::memset(map + kPage, kCanary, data);
  std::memset(start, 0xff, bytes);
  gAllocs[(uintptr_t)start] = Allocation{map, mapBytes, start, bytes, body};
  gUsed += body;
  ok({(uint64_t)(uintptr_t)start});
}

// Canaries around every allocation: a kernel that wrote just outside one.
std::string check_canaries(const char* kernel) {
  for (auto& [addr, a] : gAllocs) {
    const unsigned char* first = a.map + kPage;
    for (const unsigned char* p = first; p < a.start; p++)
      if (*p != kCanary) return std::string("kernel ") + kernel + " wrote " + std::to_string(a.start - p) + " bytes before an allocation of " + std::to_string(a.bytes) + " bytes";
    for (const unsigned char* p = a.start + a.bytes; p < a.start + a.body; p++)
      if (*p != kCanary) return std::string("kernel ") + kernel + " wrote " + std::to_string(p - a.start - a.bytes) + " bytes past the end of an allocation of " + std::to_string(a.bytes) + " bytes";
  }
  return "";
}

void launch() {
  const uint64_t nameLen = word();
  if (nameLen > 200) std::_Exit(72);
  std::string name(nameLen, '\0');
  if (!read_all(name.data(), nameLen)) std::_Exit(0);
  uint64_t d[7];
  for (uint64_t& v : d) v = word();
  const uint64_t count = word();
  if (count > 64) std::_Exit(72);
  std::vector<uint64_t> words(count);
  for (uint64_t& v : words) v = word();

  // The launch limits of the GPUs convgrad targets (sm_80 and newer), without opt-in shared memory.
  const uint64_t threads = d[3] * d[4] * d[5];
  if (d[0] == 0 || d[1] == 0 || d[2] == 0 || d[0] > 2147483647ull || d[1] > 65535 || d[2] > 65535)
    return fail("CUDA_ERROR_INVALID_VALUE: grid (" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " + std::to_string(d[2]) + ") outside the device's limits");
  if (threads == 0 || threads > 1024 || d[3] > 1024 || d[4] > 1024 || d[5] > 64)
    return fail("CUDA_ERROR_INVALID_VALUE: block (" + std::to_string(d[3]) + ", " + std::to_string(d[4]) + ", " + std::to_string(d[5]) + ") outside the device's limits");
  if (d[6] > 48 * 1024)
    return fail("CUDA_ERROR_INVALID_VALUE: " + std::to_string(d[6]) + " bytes of dynamic shared memory, above 48 KiB");
  if (count * 8 != sizeof(ConvArgs))
    return fail("CUDA_ERROR_INVALID_VALUE: " + std::to_string(count) + " parameter words, the kernels take " + std::to_string(sizeof(ConvArgs) / 8));
  void* sym = dlsym(RTLD_DEFAULT, name.c_str());
  if (!sym) return fail("CUDA_ERROR_NOT_FOUND: named symbol not found: " + name);

  emu::Launch l;
  l.name = name.c_str();
  l.kernel = reinterpret_cast<emu::Kernel>(sym);
  l.grid = dim3{(unsigned)d[0], (unsigned)d[1], (unsigned)d[2]};
  l.block = dim3{(unsigned)d[3], (unsigned)d[4], (unsigned)d[5]};
  l.sharedBytes = d[6];
  std::memcpy(&l.args, words.data(), sizeof(ConvArgs));
  std::string err = emu::run(l, gSchedule);
  if (err.empty()) err = check_canaries(name.c_str());
  if (!err.empty()) return fail("CUDA_ERROR_LAUNCH_FAILED: " + name + ": " + err);
  ok();
}

}  // namespace

int main() {
  emu::install_fault_handler();
  for (;;) {
    unsigned char cmd;
    if (!read_all(&cmd, 1)) return 0;
    switch (cmd) {
      case 'A':
        allocate(word());
        break;
      case 'F': {
        const uint64_t addr = word();
        auto it = gAllocs.find((uintptr_t)addr);
        if (it == gAllocs.end()) {
          fail("CUDA_ERROR_INVALID_VALUE: free of an address that is not an allocation's start");
          break;
        }
        munmap(it->second.map, it->second.mapBytes);
        gUsed -= it->second.body;
        gAllocs.erase(it);
        ok();
        break;
      }
      case 'W': {
        const uint64_t addr = word(), len = word();
        const Allocation* a = find(addr, len);
        std::vector<unsigned char> buf(len);
        if (!read_all(buf.data(), len)) return 0;
        if (!a) {
          fail("CUDA_ERROR_INVALID_VALUE: copy of " + std::to_string(len) + " bytes to the device outside every allocation");
          break;
        }
        std::memcpy(reinterpret_cast<void*>(addr), buf.data(), len);
        ok();
        break;
      }
      case 'R': {
        const uint64_t addr = word(), len = word();
        if (!find(addr, len)) {
          fail("CUDA_ERROR_INVALID_VALUE: copy of " + std::to_string(len) + " bytes from the device outside every allocation");
          break;
        }
        ok();
        write_all(reinterpret_cast<const void*>(addr), len);
        break;
      }
      case 'M':
        ok({gTotal - gUsed, gTotal});
        break;
      case 'X':
        gTotal = word();
        ok();
        break;
      case 'O':
        gSchedule.order = (emu::Order)word();
        gSchedule.seed = word();
        gSchedule.workers = (int)word();
        ok();
        break;
      case 'L':
        launch();
        break;
      case 'I':
        ok({sizeof(ConvArgs) / 8});
        break;
      case 'Q':
        ok();
        return 0;
      default:
        std::fprintf(stderr, "emulator: unknown command %d\n", cmd);
        return 72;
    }
  }
}
