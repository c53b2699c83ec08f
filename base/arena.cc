#include "base/arena.h"

#include <algorithm>
#include <string>
#include <utility>

namespace base {

void* Arena::AllocateSlow(size_t n) {
  used_ += n;
  // Blocks (from new[] or the region) are aligned for any fundamental type, and are handed out from
  // their start.
  if (next_ != nullptr && n > next_block_ / 4) {
    // A big request gets a block of its own; the current block stays the one to bump.
    reserved_ += n;
    return NewBlock(n);
  }
  size_t size = std::max(next_block_, n);
  reserved_ += size;
  char* start = NewBlock(size);
  next_ = start + n;
  end_ = start + size;
  next_block_ = std::min(kMaxBlock, std::max(next_block_, size) * 2);
  return start;
}

char* Arena::NewBlock(size_t size) {
  if (region_ != nullptr) {
    if (void* p = region_->Take(size)) return static_cast<char*>(p);
  }
  blocks_.emplace_back(new char[size]);
  return blocks_.back().get();
}

absl::string_view Arena::Adopt(std::string&& s) {
  used_ += s.size();
  reserved_ += s.size();
  adopted_.push_back(std::make_unique<std::string>(std::move(s)));
  return *adopted_.back();
}

}  // namespace base
