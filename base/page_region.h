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
// Map and release are thread-safe; Take is not (one writer, like Arena).
#ifndef SLIPWAY_BASE_PAGE_REGION_H_
#define SLIPWAY_BASE_PAGE_REGION_H_

#include <cstddef>
#include <memory>

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

  size_t capacity() const { return static_cast<size_t>(end_ - start_); }
  size_t used() const { return static_cast<size_t>(next_ - start_); }
  // True when the range was advised for huge pages (whether the kernel gives them is its choice).
  bool huge_pages_advised() const { return advised_; }

 private:
  PageRegion(void* mapping, size_t mapping_size, char* start, size_t capacity, bool advised);
  friend struct PageRegionReleaser;  // page_region.cc: unmaps, or keeps for reuse

  void* mapping_;
  size_t mapping_size_;
  char* start_;  // aligned to kHugePage
  char* next_;
  char* end_;
  bool advised_;
};

}  // namespace base

#endif  // SLIPWAY_BASE_PAGE_REGION_H_
