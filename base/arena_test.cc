#include "base/arena.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base {
namespace {

using ::testing::ElementsAre;

TEST(ArenaTest, CopiesOutliveTheirSource) {
  Arena arena(64);
  std::vector<absl::string_view> views;
  for (int i = 0; i < 1000; ++i) {
    std::string s = "word-" + std::to_string(i);
    views.push_back(arena.Copy(s));
  }  // every source string is gone
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(views[i], "word-" + std::to_string(i));
  EXPECT_EQ(arena.Copy("").size(), 0u);
}

TEST(ArenaTest, BigRequestsGetTheirOwnBlockAndKeepTheCurrentOne) {
  Arena arena(1024);
  absl::string_view a = arena.Copy("a");
  std::string big(100000, 'x');
  absl::string_view b = arena.Copy(big);
  absl::string_view c = arena.Copy("c");
  EXPECT_EQ(a, "a");
  EXPECT_EQ(b, big);
  EXPECT_EQ(c, "c");
  EXPECT_EQ(c.data(), a.data() + 1);  // still bumping the first block
  EXPECT_EQ(arena.used(), big.size() + 2);
  EXPECT_GE(arena.reserved(), big.size() + 1024);
}

TEST(ArenaTest, ArraysAreAlignedAndCopied) {
  Arena arena(64);
  arena.Copy("x");  // misalign the next free byte
  std::vector<int64_t> v = {1, 2, 3};
  absl::Span<const int64_t> s = arena.CopyArray(absl::Span<const int64_t>(v));
  v.clear();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.data()) % alignof(int64_t), 0u);
  EXPECT_THAT(s, ElementsAre(1, 2, 3));
  absl::Span<absl::string_view> fresh = arena.NewArray<absl::string_view>(4);
  ASSERT_EQ(fresh.size(), 4u);
  for (absl::string_view w : fresh) EXPECT_TRUE(w.empty());
  EXPECT_TRUE(arena.CopyArray(absl::Span<const int>()).empty());
}

TEST(ArenaTest, ArraysOfStructsWithInitialisersAreCopied) {
  // Trivially copyable but not trivial (member initialisers): copied as bytes.
  struct Item {
    int64_t n = 7;
    absl::string_view s = "default";
    bool flag = true;
  };
  Arena arena(64);
  arena.Copy("x");  // misalign the next free byte
  std::vector<Item> v(3);
  v[1] = Item{1, "one", false};
  absl::Span<const Item> s = arena.CopyArray(absl::Span<const Item>(v));
  v.clear();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.data()) % alignof(Item), 0u);
  EXPECT_EQ(s[0].n, 7);
  EXPECT_EQ(s[0].s, "default");
  EXPECT_TRUE(s[0].flag);
  EXPECT_EQ(s[1].n, 1);
  EXPECT_EQ(s[1].s, "one");
  EXPECT_FALSE(s[1].flag);
  EXPECT_EQ(s[2].s, "default");
}

TEST(ArenaTest, NewCopiesOneAlignedValue) {
  Arena arena(64);
  arena.Copy("x");  // misalign the next free byte
  struct Pair {
    int64_t a;
    absl::string_view b;
  };
  Pair* p = arena.New<Pair>(Pair{7, "seven"});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(Pair), 0u);
  EXPECT_EQ(p->a, 7);
  EXPECT_EQ(p->b, "seven");
  EXPECT_EQ(arena.used(), 1 + sizeof(Pair));
  Pair* zero = arena.New<Pair>();
  EXPECT_EQ(zero->a, 0);
  EXPECT_TRUE(zero->b.empty());
}

TEST(ArenaTest, AdoptedStringsKeepTheirCharacters) {
  Arena arena(64);
  std::string big(1000, 'b');
  const char* big_chars = big.data();
  absl::string_view b = arena.Adopt(std::move(big));
  EXPECT_EQ(b.data(), big_chars);                                  // not copied
  absl::string_view s = arena.Adopt(std::string("short"));         // kept inside its string object
  for (int i = 0; i < 100; ++i) arena.Adopt(std::string("more"));  // the list grows
  EXPECT_EQ(b, std::string(1000, 'b'));
  EXPECT_EQ(s, "short");
  EXPECT_EQ(arena.used(), 1000u + 5 + 400);
  Arena moved = std::move(arena);
  EXPECT_EQ(s, "short");
}

TEST(ArenaTest, MovedArenaKeepsItsData) {
  Arena a(64);
  absl::string_view v = a.Copy("kept");
  Arena b = std::move(a);
  EXPECT_EQ(v, "kept");
  EXPECT_EQ(b.used(), 4u);
}

}  // namespace
}  // namespace base
