#include "runner/rootfs/layer_prune.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::testing::ElementsAre;

std::string Hex(char c) { return std::string(64, c); }

class LayerPruneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("layer-prune-"));
    tmp_.emplace(std::move(tmp));
    dir_ = tmp_->path() + "/layers";
  }
  // An unpacked layer `<folder>/<hex>` holding one file of `bytes` bytes.
  void MakeLayer(const std::string& folder, const std::string& hex, int bytes) {
    base::Env* env = base::Env::Default();
    ASSERT_OK(env->CreateDirs(absl::StrCat(folder, "/", hex, "/etc")));
    ASSERT_OK(env->WriteFileAtomically(absl::StrCat(folder, "/", hex, "/etc/file"),
                                       std::string(bytes, 'x'), 0644));
  }
  bool Exists(const std::string& path) { return base::Env::Default()->Exists(path); }

  std::optional<base::ScopedTempDir> tmp_;
  std::string dir_;
};

TEST_F(LayerPruneTest, MissingCacheIsEmpty) {
  ASSERT_OK_AND_ASSIGN(LayerPruneStats stats, PruneLayerCache(dir_, {}));
  EXPECT_EQ(stats.layers_removed, 0);
}

TEST_F(LayerPruneTest, RemovesUnusedLayersInEveryMappingFolderAndKeepsTheRest) {
  const std::string mapped = dir_ + "/u_0-100000-65536_g_0-100000-65536";
  MakeLayer(dir_, Hex('a'), 10);
  MakeLayer(dir_, Hex('b'), 20);
  MakeLayer(mapped, Hex('b'), 30);
  MakeLayer(mapped, Hex('c'), 40);
  ASSERT_OK(base::Env::Default()->CreateDirs(dir_ + "/.tmp-" + Hex('b') + "-Xy12ab"));
  ASSERT_OK(base::Env::Default()->CreateDirs(dir_ + "/.mnt"));
  ASSERT_OK_AND_ASSIGN(LayerPruneStats stats, PruneLayerCache(dir_, {Hex('a'), Hex('c')}));
  EXPECT_EQ(stats.layers_removed, 2);
  EXPECT_EQ(stats.bytes_removed, 50);
  EXPECT_TRUE(stats.skipped.empty());
  EXPECT_TRUE(Exists(dir_ + "/" + Hex('a') + "/etc/file"));
  EXPECT_FALSE(Exists(dir_ + "/" + Hex('b')));
  EXPECT_FALSE(Exists(dir_ + "/.tmp-" + Hex('b') + "-Xy12ab"));
  EXPECT_FALSE(Exists(mapped + "/" + Hex('b')));
  EXPECT_TRUE(Exists(mapped + "/" + Hex('c') + "/etc/file"));
  EXPECT_TRUE(Exists(dir_ + "/.mnt"));
}

TEST_F(LayerPruneTest, SkipsALayerWhoseLockIsHeld) {
  MakeLayer(dir_, Hex('d'), 5);
  MakeLayer(dir_, Hex('e'), 5);
  // Another process unpacking layer d holds its lock (LayerCache::Ensure).
  ASSERT_OK_AND_ASSIGN(base::ScopedFd held,
                       base::Env::Default()->Open(dir_ + "/.lock-" + Hex('d'), O_RDWR | O_CREAT, 0600));
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  ASSERT_OK_AND_ASSIGN(LayerPruneStats stats, PruneLayerCache(dir_, {}));
  EXPECT_EQ(stats.layers_removed, 1);
  EXPECT_THAT(stats.skipped, ElementsAre(dir_ + "/" + Hex('d')));
  EXPECT_TRUE(Exists(dir_ + "/" + Hex('d') + "/etc/file"));
  EXPECT_FALSE(Exists(dir_ + "/" + Hex('e')));
}

}  // namespace
}  // namespace runner
