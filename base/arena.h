// Arena: a bump allocator for data that is made once and freed all at once (a parsed Dockerfile,
// its typed commands). It hands out copies of strings and arrays of trivially destructible values
// (views, spans, ints), so a structure of thousands of small strings costs a few big allocations
// instead of one per string, and freeing it is freeing a handful of blocks.
//
// What the arena returns stays valid, and never moves, until the arena is destroyed. Move-only;
// not thread-safe (one writer at a time; readers of finished data need no lock).
//
// Blocks come from the heap, or from a PageRegion (page_region.h) the arena shares with others
// while it has room.
#ifndef SLIPWAY_BASE_ARENA_H_
#define SLIPWAY_BASE_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/page_region.h"

namespace base {

class Arena {
 public:
  // `first_block` is the size of the first block in bytes; later blocks double, up to 64 KiB
  // (larger requests get a block of their own).
  explicit Arena(size_t first_block = 4096) : next_block_(first_block < 64 ? 64 : first_block) {}
  // Blocks come from `region` (kept alive by the arena) while it has room; it may be null.
  Arena(size_t first_block, std::shared_ptr<PageRegion> region)
      : region_(std::move(region)), next_block_(first_block < 64 ? 64 : first_block) {}
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `n` bytes aligned to `align` (a power of two, at most alignof(std::max_align_t)).
  void* Allocate(size_t n, size_t align) {
    size_t pad = (align - reinterpret_cast<uintptr_t>(next_) % align) % align;
    if (next_ == nullptr || n + pad > static_cast<size_t>(end_ - next_)) return AllocateSlow(n);
    char* p = next_ + pad;
    next_ = p + n;
    used_ += n;
    return p;
  }

  // A copy of `s` (the empty string needs no copy).
  absl::string_view Copy(absl::string_view s) {
    if (s.empty()) return absl::string_view();
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return absl::string_view(p, s.size());
  }

  // A copy of `items`, for trivially destructible T (the arena runs no destructors). One memcpy
  // when T is trivially copyable: std::uninitialized_copy does that only for trivial T, and copies
  // a struct with member initialisers (a Command, a Heredoc) field by field.
  template <typename T>
  absl::Span<const T> CopyArray(absl::Span<const T> items) {
    static_assert(std::is_trivially_destructible<T>::value, "the arena runs no destructors");
    if (items.empty()) return {};
    T* p = static_cast<T*>(Allocate(items.size() * sizeof(T), alignof(T)));
    if constexpr (std::is_trivially_copyable<T>::value) {
      std::memcpy(static_cast<void*>(p), items.data(), items.size() * sizeof(T));
    } else {
      std::uninitialized_copy(items.begin(), items.end(), p);
    }
    return absl::Span<const T>(p, items.size());
  }

  // Space for `n` default-constructed T, for trivially destructible T.
  template <typename T>
  absl::Span<T> NewArray(size_t n) {
    static_assert(std::is_trivially_destructible<T>::value, "the arena runs no destructors");
    if (n == 0) return {};
    T* p = static_cast<T*>(Allocate(n * sizeof(T), alignof(T)));
    for (size_t i = 0; i < n; ++i) new (p + i) T();
    return absl::Span<T>(p, n);
  }

  // A T built in the arena from `args` (T() without any), for trivially destructible T. Built in
  // place: not a temporary copied in.
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible<T>::value, "the arena runs no destructors");
    return new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  // Keeps `s` (its characters are not copied) until the arena is destroyed, and returns a view of
  // it.
  absl::string_view Adopt(std::string&& s);

  // The region blocks come from while it has room; null if none.
  const std::shared_ptr<PageRegion>& region() const { return region_; }

  // Bytes handed out so far, and bytes held in blocks.
  size_t used() const { return used_; }
  size_t reserved() const { return reserved_; }

 private:
  static constexpr size_t kMaxBlock = 64 << 10;
  void* AllocateSlow(size_t n);
  char* NewBlock(size_t size);

  std::shared_ptr<PageRegion> region_;           // null: every block from the heap
  std::vector<std::unique_ptr<char[]>> blocks_;  // the blocks from the heap
  // Adopted strings, each in an allocation of its own that never moves (so a short string's
  // characters, stored inside the object, do not move either).
  std::vector<std::unique_ptr<std::string>> adopted_;
  char* next_ = nullptr;
  char* end_ = nullptr;
  size_t next_block_;
  size_t used_ = 0;      // bytes handed out (without alignment padding)
  size_t reserved_ = 0;  // bytes in all blocks
};

}  // namespace base

#endif  // SLIPWAY_BASE_ARENA_H_
