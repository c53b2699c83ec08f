#include "tools/cli/local_images.h"

#include <optional>
#include <string>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/media_types.h"

namespace cli {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LocalImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("local-images-"));
    tmp_.emplace(std::move(tmp));
    ASSERT_OK_AND_ASSIGN(store_, oci::Layout::Open(tmp_->path() + "/store"));
  }
  // A one-layer image tagged `tag`; returns its manifest descriptor.
  oci::Descriptor Image(const std::string& seed, const std::string& tag) {
    absl::StatusOr<oci::Descriptor> layer = store_->WriteBlob("layer-" + seed, oci::kOciLayer);
    EXPECT_OK(layer);
    oci::ImageConfig config;
    config.os = oci::Platform::Host().os;
    config.architecture = oci::Platform::Host().architecture;
    config.created = "2026-01-02T03:04:05Z";
    config.diff_ids.push_back(oci::Digest::Of("diff-" + seed));
    absl::StatusOr<oci::Descriptor> m = oci::WriteImage(*store_, config, {*layer}, oci::kOciManifest);
    EXPECT_OK(m);
    EXPECT_OK(store_->Tag(*m, tag));
    return *m;
  }

  // The tags `text` names, or {"error: …"}.
  std::vector<std::string> Named(const std::string& text) {
    absl::StatusOr<std::vector<std::string>> tags = StoreTagsNamedBy(*store_, text);
    if (!tags.ok()) return {"error: " + std::string(tags.status().message())};
    return *tags;
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::unique_ptr<oci::Layout> store_;
};

TEST_F(LocalImagesTest, ListsEveryTagSortedByNameWithCreatedAndSize) {
  oci::Descriptor b = Image("b", "zeta:1");
  oci::Descriptor a = Image("a", "app:latest");
  ASSERT_OK(store_->Tag(a, "app:2"));
  ASSERT_OK_AND_ASSIGN(std::vector<LocalImage> images, ListLocalImages(*store_));
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].name, "app");
  EXPECT_EQ(images[0].tag, "2");
  EXPECT_EQ(images[1].tag, "latest");
  EXPECT_EQ(images[2].name, "zeta");
  EXPECT_EQ(images[1].digest, a.digest);
  EXPECT_EQ(images[2].digest, b.digest);
  EXPECT_EQ(images[1].created, "2026-01-02T03:04:05Z");
  ASSERT_OK_AND_ASSIGN(oci::ImageRef ref, oci::ReadImage(*store_, "app:latest"));
  EXPECT_EQ(images[1].size, ref.manifest.config.size + static_cast<int64_t>(std::string("layer-a").size()));
  EXPECT_TRUE(images[1].error.empty());
}

TEST_F(LocalImagesTest, SplitsTagsAfterTheLastSlash) {
  std::string name, tag;
  SplitStoreTag("localhost:5000/team/app:1.0", &name, &tag);
  EXPECT_EQ(name, "localhost:5000/team/app");
  EXPECT_EQ(tag, "1.0");
  SplitStoreTag("localhost:5000/app", &name, &tag);
  EXPECT_EQ(name, "localhost:5000/app");
  EXPECT_EQ(tag, "latest");
}

TEST_F(LocalImagesTest, NamesResolveLikeDockerRmi) {
  oci::Descriptor a = Image("a", "app:latest");
  Image("b", "app:1");
  ASSERT_OK(store_->Tag(a, "other:x"));
  EXPECT_THAT(Named("app"), ElementsAre("app:latest"));
  EXPECT_THAT(Named("app:1"), ElementsAre("app:1"));
  EXPECT_THAT(Named("local:app:1"), ElementsAre("app:1"));
  EXPECT_THAT(Named("docker.io/library/app:1"), ElementsAre("app:1"));
  // A digest names every tag of that image.
  EXPECT_THAT(Named(a.digest.str()), ElementsAre("app:latest", "other:x"));
  EXPECT_THAT(Named(std::string(a.digest.hex().substr(0, 12))), ElementsAre("app:latest", "other:x"));
  EXPECT_THAT(StoreTagsNamedBy(*store_, "nope").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such image: `nope`")));
  EXPECT_THAT(StoreTagsNamedBy(*store_, "app:2").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("`app:2`")));
}

TEST_F(LocalImagesTest, DiffIdsOfEveryImage) {
  Image("a", "app:latest");
  Image("b", "app:1");
  ASSERT_OK_AND_ASSIGN(std::set<std::string> ids, StoreDiffIds(*store_));
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(std::string(oci::Digest::Of("diff-a").hex()),
                                                  std::string(oci::Digest::Of("diff-b").hex())));
}

TEST(HumanSizeTest, PowersOfAThousand) {
  EXPECT_EQ(HumanSize(12), "12B");
  EXPECT_EQ(HumanSize(1500), "1.50kB");
  EXPECT_EQ(HumanSize(820000), "820kB");
  EXPECT_EQ(HumanSize(15300000), "15.3MB");
}

}  // namespace
}  // namespace cli
