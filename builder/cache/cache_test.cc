#include "builder/cache/cache.h"

#include <sys/stat.h>
#include <utime.h>

#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "oci/media_types.h"

namespace builder {
namespace {

TEST(StepCacheTest, StoresAndFindsRecordsAndDropsOnesWithMissingBlobs) {
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir dir, base::ScopedTempDir::Create());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StepCache> cache, StepCache::Open(dir.path()));
  ASSERT_OK_AND_ASSIGN(oci::Descriptor blob, cache->layout().WriteBlob("layer", "x/y"));
  StepRecord record;
  record.config.os = "linux";
  record.config.architecture = "amd64";
  record.config.config.env = {"A=b c"};
  record.layers = {blob};
  oci::Digest key = oci::Digest::Of("k1");
  EXPECT_FALSE(cache->Lookup(key).has_value());
  ASSERT_OK(cache->Store(key, record));
  std::optional<StepRecord> got = cache->Lookup(key);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->config.config.env, record.config.config.env);
  ASSERT_EQ(got->layers.size(), 1u);
  EXPECT_EQ(got->layers[0].digest, blob.digest);

  ASSERT_OK(base::Env::Default()->Remove(cache->layout().BlobPath(blob.digest)));
  EXPECT_FALSE(cache->Lookup(key).has_value());
}

TEST(StatCacheTest, RehashesOnlyChangedFiles) {
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir cache_dir, base::ScopedTempDir::Create());
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir ctx, base::ScopedTempDir::Create());
  base::Env* env = base::Env::Default();
  std::string a = ctx.path() + "/a", b = ctx.path() + "/b";
  ASSERT_OK(env->WriteFileAtomically(a, "alpha"));
  ASSERT_OK(env->WriteFileAtomically(b, "beta"));
  struct stat sa, sb;
  ASSERT_EQ(lstat(a.c_str(), &sa), 0);
  ASSERT_EQ(lstat(b.c_str(), &sb), 0);
  {
    std::unique_ptr<StatCache> sc = StatCache::Load(cache_dir.path(), ctx.path());
    ASSERT_OK_AND_ASSIGN(oci::Digest da, sc->FileDigest("a", a, sa));
    EXPECT_EQ(da, oci::Digest::Of("alpha"));
    ASSERT_OK(sc->FileDigest("b", b, sb).status());
    EXPECT_EQ(sc->files_hashed(), 2);
    ASSERT_OK(sc->Save());
  }
  ASSERT_OK(env->WriteFileAtomically(b, "beta2"));
  ASSERT_EQ(lstat(b.c_str(), &sb), 0);
  std::unique_ptr<StatCache> sc = StatCache::Load(cache_dir.path(), ctx.path());
  ASSERT_OK_AND_ASSIGN(oci::Digest da, sc->FileDigest("a", a, sa));
  EXPECT_EQ(da, oci::Digest::Of("alpha"));
  ASSERT_OK_AND_ASSIGN(oci::Digest db, sc->FileDigest("b", b, sb));
  EXPECT_EQ(db, oci::Digest::Of("beta2"));
  EXPECT_EQ(sc->files_hashed(), 1);
}

}  // namespace
}  // namespace builder
