#include "base/page_region.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/arena.h"
#include "gtest/gtest.h"

namespace base {
namespace {

bool Aligned(const void* p, size_t to) { return reinterpret_cast<uintptr_t>(p) % to == 0; }

TEST(PageRegionTest, HandsOutAlignedBytesUntilFull) {
  std::shared_ptr<PageRegion> region = PageRegion::Map(100);
  ASSERT_NE(region, nullptr);
  EXPECT_EQ(region->capacity(), PageRegion::kHugePage);  // rounded up to a whole huge page
  char* a = static_cast<char*>(region->Take(3));
  char* b = static_cast<char*>(region->Take(5000));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(Aligned(a, PageRegion::kHugePage));  // the start is huge-page aligned
  EXPECT_TRUE(Aligned(b, alignof(std::max_align_t)));
  EXPECT_EQ(b, a + alignof(std::max_align_t));
  std::memset(b, 'x', 5000);                             // writable
  EXPECT_EQ(region->Take(region->capacity()), nullptr);  // no room: the caller uses the heap
  const size_t rest = region->capacity() - region->used();
  EXPECT_NE(region->Take(rest), nullptr);
  EXPECT_EQ(region->Take(1), nullptr);
}

TEST(PageRegionTest, ReleasedRegionIsReusedEmptyWhenBigEnough) {
  std::shared_ptr<PageRegion> first = PageRegion::Map(3 * PageRegion::kHugePage);
  ASSERT_NE(first, nullptr);
  const PageRegion* address = first.get();
  ASSERT_NE(first->Take(1000), nullptr);
  first.reset();  // kept as the spare
  std::shared_ptr<PageRegion> again = PageRegion::Map(PageRegion::kHugePage);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->used(), 0u);
  // The spare is taken: a second region at the same time is a new mapping.
  std::shared_ptr<PageRegion> other = PageRegion::Map(PageRegion::kHugePage);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other.get(), again.get());
  // A spare too small for a request is not handed out.
  other.reset();
  std::shared_ptr<PageRegion> bigger = PageRegion::Map(4 * PageRegion::kHugePage);
  ASSERT_NE(bigger, nullptr);
  EXPECT_GE(bigger->capacity(), 4 * PageRegion::kHugePage);
  EXPECT_EQ(bigger->used(), 0u);
}

TEST(PageRegionTest, ArenasShareARegionThenFallBackToTheHeap) {
  std::shared_ptr<PageRegion> region = PageRegion::Map(PageRegion::kHugePage);
  ASSERT_NE(region, nullptr);  // (maybe a bigger spare from another test)
  const char* begin = static_cast<const char*>(region->Take(1));
  const char* end = begin + region->capacity();
  auto in_region = [&](absl::string_view s) { return s.data() >= begin && s.data() < end; };
  Arena a(64, region), b(64, region);
  absl::string_view x = a.Copy("from a");
  absl::string_view y = b.Copy("from b");
  EXPECT_TRUE(in_region(x));
  EXPECT_TRUE(in_region(y));
  // Once the region is full, blocks come from the heap, and what was handed out stays valid.
  std::string big(region->capacity(), 'z');
  absl::string_view z = a.Copy(big);
  EXPECT_FALSE(in_region(z));
  EXPECT_EQ(z, big);
  EXPECT_EQ(x, "from a");
  EXPECT_EQ(y, "from b");
  // The arenas keep the region alive.
  region.reset();
  EXPECT_EQ(a.Copy("still"), "still");
  EXPECT_EQ(x, "from a");
}

TEST(PageRegionTest, VectorsWithARegionAllocatorKeepItAliveAndFallBackToTheHeap) {
  std::vector<int, RegionAllocator<int>> on_heap;  // no region
  on_heap.assign(1000, 7);
  EXPECT_EQ(on_heap.get_allocator().region(), nullptr);
  std::shared_ptr<PageRegion> region = PageRegion::Map(PageRegion::kHugePage);
  ASSERT_NE(region, nullptr);
  std::vector<int, RegionAllocator<int>> v{RegionAllocator<int>(region)};
  for (int i = 0; i < 1000; ++i) v.push_back(i);  // grows inside the region
  EXPECT_TRUE(region->Contains(v.data()));
  const PageRegion* address = region.get();
  region.reset();  // the vector keeps it
  EXPECT_EQ(v.get_allocator().region().get(), address);
  EXPECT_EQ(v[999], 999);
  // Too big for what is left: the heap.
  v.resize(v.get_allocator().region()->capacity());
  EXPECT_FALSE(v.get_allocator().region()->Contains(v.data()));
  EXPECT_EQ(v[999], 999);
  // Moving a vector moves its allocator and its buffer.
  std::vector<int, RegionAllocator<int>> moved = std::move(v);
  EXPECT_EQ(moved.get_allocator().region().get(), address);
  EXPECT_EQ(moved[999], 999);
}

}  // namespace
}  // namespace base
