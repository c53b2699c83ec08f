// PageRegion: one big anonymous mapping for the arenas of a structure that is built once, at once
// (a big Dockerfile's AST, typed commands), that asks the kernel for transparent huge pages.
//
// Why: every fresh 4 KiB page costs a page fault at its first touch. A one-shot `slipway graph` of
// a 5,000-line Dockerfile touches ~1 MB of fresh memory, ~250 faults, 1.2-2 us each on a VM: as
// long as the parsing itself. In a 2 MiB-aligned MADV_HUGEPAGE range the kernel maps a whole huge
// page at the first touch instead, one fault (50-200 us here, mostly zeroing). Where transparent
// huge pages are off or none is free, the kernel maps 4 KiB pages as usual: only slower.
//
// A region is carved with a bump pointer and freed as a whole. Released regions are kept for the
// next Map (one, the last released; as malloc keeps freed memory), so a process that builds such
// structures again (a test, a benchmark, a long-lived caller) does not fault its pages in again.
// Memory from a region is not zeroed.
//
// Thread-safe.
#ifndef SLIPWAY_BASE_PAGE_REGION_H_
#define SLIPWAY_BASE_PAGE_REGION_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace base {

class PageRegion {
 public:
  // Huge pages are this big (x86-64 and arm64 with 4 KiB base pages).
  static constexpr size_t kHugePage = size_t{2} << 20;

  // A region with room for at least `bytes` (rounded up to whole huge pages), or nullptr when the
  // mapping fails (callers then use the heap).
  static std::shared_ptr<PageRegion> Map(size_t bytes);

  PageRegion(const PageRegion&) = delete;
  PageRegion& operator=(const PageRegion&) = delete;
  ~PageRegion();

  // `n` bytes aligned to alignof(std::max_align_t), or nullptr when the region has no room left.
  void* Take(size_t n);

  // True if `p` points into the region.
  bool Contains(const void* p) const {
    const char* c = static_cast<const char*>(p);
    return c >= start_ && c < start_ + capacity_;
  }

  size_t capacity() const { return capacity_; }
  size_t used() const { return taken_.load(std::memory_order_relaxed); }

 private:
  PageRegion(void* mapping, size_t mapping_size, char* start, size_t capacity);
  friend struct PageRegionReleaser;  // page_region.cc: unmaps, or keeps for reuse

  void* mapping_;
  size_t mapping_size_;
  char* start_;  // aligned to kHugePage
  size_t capacity_;
  std::atomic<size_t> taken_{0};  // bytes handed out, from start_
};

// A std::allocator for containers built alongside a region's other contents (a graph built from a
// big Dockerfile): memory from `region` while it has room, else from the heap; what came from the
// region is freed with it, not one by one. Containers keep the region alive (through their
// allocator). A null region means the heap only.
template <typename T>
class RegionAllocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  RegionAllocator() = default;
  explicit RegionAllocator(std::shared_ptr<PageRegion> region) : region_(std::move(region)) {}
  template <typename U>
  RegionAllocator(const RegionAllocator<U>& other) : region_(other.region()) {}  // NOLINT

  T* allocate(size_t n) {
    static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned");
    if (region_ != nullptr) {
      if (void* p = region_->Take(n * sizeof(T))) return static_cast<T*>(p);
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t) {
    if (region_ == nullptr || !region_->Contains(p)) ::operator delete(p);
  }

  const std::shared_ptr<PageRegion>& region() const { return region_; }
  friend bool operator==(const RegionAllocator& a, const RegionAllocator& b) {
    return a.region_ == b.region_;
  }
  friend bool operator!=(const RegionAllocator& a, const RegionAllocator& b) { return !(a == b); }

 private:
  std::shared_ptr<PageRegion> region_;
};

}  // namespace base

#endif  // SLIPWAY_BASE_PAGE_REGION_H_
