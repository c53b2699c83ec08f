#include "base/page_region.h"

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLIPWAY_ASAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define SLIPWAY_ASAN 1
#endif
#ifdef SLIPWAY_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace base {
namespace {

// Under AddressSanitizer, what is not handed out is poisoned, so that a read or write past a block
// taken from a region is reported as it would be past a block from the heap.
void Poison(const char* p, size_t n) {
#ifdef SLIPWAY_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#endif
}
void Unpoison(const char* p, size_t n) {
#ifdef SLIPWAY_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
}

// The last released region, kept for the next Map that fits in it.
std::mutex g_spare_mu;
PageRegion* g_spare = nullptr;  // guarded by g_spare_mu

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

// The deleter of the shared_ptrs Map returns: the region is emptied and kept as the spare (the
// previous spare is unmapped).
struct PageRegionReleaser {
  void operator()(PageRegion* region) const {
    region->taken_.store(0, std::memory_order_relaxed);
    Poison(region->start_, region->capacity_);
    PageRegion* old;
    {
      std::lock_guard<std::mutex> lock(g_spare_mu);
      old = g_spare;
      g_spare = region;
    }
    delete old;
  }
};

PageRegion::PageRegion(void* mapping, size_t mapping_size, char* start, size_t capacity)
    : mapping_(mapping), mapping_size_(mapping_size), start_(start), capacity_(capacity) {}

PageRegion::~PageRegion() {
  Unpoison(start_, capacity_);  // the address range may be mapped again, for anything
  munmap(mapping_, mapping_size_);
}

std::shared_ptr<PageRegion> PageRegion::Map(size_t bytes) {
  const size_t capacity = RoundUp(bytes == 0 ? 1 : bytes, kHugePage);
  {
    std::lock_guard<std::mutex> lock(g_spare_mu);
    if (g_spare != nullptr && g_spare->capacity() >= capacity) {
      PageRegion* reused = g_spare;
      g_spare = nullptr;
      return std::shared_ptr<PageRegion>(reused, PageRegionReleaser());
    }
  }
  // One huge page more than needed, so that an aligned start fits whatever address mmap picks.
  const size_t mapping_size = capacity + kHugePage;
  void* mapping =
      mmap(nullptr, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) return nullptr;
  char* start = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(mapping), kHugePage));
  // Advice only: where the kernel has no transparent huge pages it fails (EINVAL) and the memory
  // is ordinary memory.
  madvise(start, capacity, MADV_HUGEPAGE);
  Poison(start, capacity);
  return std::shared_ptr<PageRegion>(new PageRegion(mapping, mapping_size, start, capacity),
                                     PageRegionReleaser());
}

void* PageRegion::Take(size_t n) {
  if (n > capacity_) return nullptr;
  const size_t size = RoundUp(n == 0 ? 1 : n, alignof(std::max_align_t));
  size_t offset = taken_.load(std::memory_order_relaxed);
  do {
    if (size > capacity_ - offset) return nullptr;
  } while (!taken_.compare_exchange_weak(offset, offset + size, std::memory_order_relaxed));
  Unpoison(start_ + offset, n);
  return start_ + offset;
}

}  // namespace base
