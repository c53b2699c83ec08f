// CopyImage into and out of `docker-archive:` files, between layouts (no registry): what
// `slipway copy SRC docker-archive:FILE[:REF]` and `slipway pull -o docker-archive:…` rely on.
#include "pusher/copy.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/docker_archive.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"
#include "pusher/session.h"
#include "pusher/testing/test_image.h"

namespace pusher {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CopyToDockerArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir d, base::ScopedTempDir::Create("pusher-copy-"));
    tmp_.emplace(std::move(d));
    ASSERT_OK_AND_ASSIGN(src_, oci::Layout::Open(Path("src")));
    ASSERT_OK_AND_ASSIGN(manifest_, pusher_testing::MakeTestImage(*src_, 2, 3000, 7, "v1"));
    SessionOptions o;
    o.docker_config_dir = Path("docker");
    ASSERT_OK_AND_ASSIGN(session_, Session::Create(o));
    archive_.mtime = 1700000000;
  }
  std::string Path(const std::string& rel) const { return absl::StrCat(tmp_->path(), "/", rel); }
  oci::ImageLocation Loc(const std::string& text) {
    absl::StatusOr<oci::ImageLocation> l = oci::ImageLocation::Parse(text);
    EXPECT_TRUE(l.ok()) << l.status();
    return *l;
  }
  std::string Read(const std::string& rel) {
    absl::StatusOr<std::string> bytes = base::Env::Default()->ReadFile(Path(rel));
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : "";
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::unique_ptr<oci::Layout> src_;
  oci::Descriptor manifest_;
  std::unique_ptr<Session> session_;
  oci::DockerArchiveOptions archive_;
};

TEST_F(CopyToDockerArchiveTest, WritesTheArchiveSaveWrites) {
  ASSERT_OK_AND_ASSIGN(CopyResult r,
                       CopyImage(*session_, Loc("oci:" + Path("src") + ":v1"),
                                 Loc("docker-archive:" + Path("copy.tar") + ":team/app:1"), {},
                                 archive_));
  EXPECT_EQ(r.transfer.root.digest, manifest_.digest);
  EXPECT_EQ(r.destination, "docker-archive:" + Path("copy.tar") + ":team/app:1");
  // `slipway save --repo-tag team/app:1` writes straight from the source layout: same bytes.
  oci::DockerArchiveImage image;
  image.manifest = manifest_;
  image.repo_tags = {"team/app:1"};
  ASSERT_OK(oci::WriteDockerArchive(*src_, {image}, Path("save.tar"), archive_));
  EXPECT_EQ(Read("copy.tar"), Read("save.tar"));

  // It loads back (every layer checked against the config) under its name.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> back, oci::Layout::Open(Path("back")));
  ASSERT_OK_AND_ASSIGN(oci::LoadedImage loaded,
                       oci::ReadDockerArchive(Path("copy.tar"), "team/app:1", *back));
  ASSERT_OK_AND_ASSIGN(oci::ImageRef original, oci::ReadImage(*src_, "v1", nullptr));
  EXPECT_EQ(loaded.config, original.manifest.config.digest);
  EXPECT_THAT(loaded.repo_tags, ElementsAre("team/app:1"));
}

TEST_F(CopyToDockerArchiveTest, WithoutARefTheImageHasNoName) {
  ASSERT_OK(CopyImage(*session_, Loc("oci:" + Path("src") + ":v1"),
                      Loc("docker-archive:" + Path("anon.tar")), {}, archive_)
                .status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> back, oci::Layout::Open(Path("back")));
  ASSERT_OK_AND_ASSIGN(oci::LoadedImage loaded,
                       oci::ReadDockerArchive(Path("anon.tar"), "", *back));
  EXPECT_TRUE(loaded.repo_tags.empty());
}

TEST_F(CopyToDockerArchiveTest, TakesOnePlatformOutOfAnIndex) {
  ASSERT_OK_AND_ASSIGN(oci::Descriptor amd,
                       pusher_testing::MakeTestImage(*src_, 1, 1000, 21, "", "amd64"));
  ASSERT_OK_AND_ASSIGN(oci::Descriptor arm,
                       pusher_testing::MakeTestImage(*src_, 1, 1000, 22, "", "arm64"));
  amd.platform = oci::Platform{"amd64", "linux"};
  arm.platform = oci::Platform{"arm64", "linux"};
  ASSERT_OK(pusher_testing::MakeTestIndex(*src_, {amd, arm}, "multi").status());
  ASSERT_OK_AND_ASSIGN(oci::Platform arm64, oci::Platform::Parse("linux/arm64"));
  TransferOptions options;
  options.all_platforms = true;  // an archive holds images, not an index: overridden
  options.platform = &arm64;
  ASSERT_OK_AND_ASSIGN(CopyResult r,
                       CopyImage(*session_, Loc("oci:" + Path("src") + ":multi"),
                                 Loc("docker-archive:" + Path("arm.tar") + ":app:arm"), options,
                                 archive_));
  EXPECT_EQ(r.transfer.root.digest, arm.digest);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> back, oci::Layout::Open(Path("back")));
  ASSERT_OK_AND_ASSIGN(oci::LoadedImage loaded, oci::ReadDockerArchive(Path("arm.tar"), "", *back));
  ASSERT_OK_AND_ASSIGN(oci::ImageRef arm_image, oci::ReadImage(*src_, arm.digest.str(), nullptr));
  EXPECT_EQ(loaded.config, arm_image.manifest.config.digest);
}

TEST_F(CopyToDockerArchiveTest, AFailedCopyLeavesNoFile) {
  absl::StatusOr<CopyResult> r = CopyImage(*session_, Loc("oci:" + Path("src") + ":nope"),
                                           Loc("docker-archive:" + Path("out.tar")), {}, archive_);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(base::Env::Default()->Exists(Path("out.tar")));
}

TEST_F(CopyToDockerArchiveTest, ArchiveToArchivePicksTheNamedImageAndRenamesIt) {
  oci::DockerArchiveImage image;
  image.manifest = manifest_;
  image.repo_tags = {"first:1"};
  ASSERT_OK(oci::WriteDockerArchive(*src_, {image}, Path("in.tar"), archive_));
  ASSERT_OK_AND_ASSIGN(CopyResult r,
                       CopyImage(*session_, Loc("docker-archive:" + Path("in.tar") + ":first:1"),
                                 Loc("docker-archive:" + Path("out.tar") + ":second:2"), {},
                                 archive_));
  EXPECT_EQ(r.served_by, "docker-archive:" + Path("in.tar") + ":first:1");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> back, oci::Layout::Open(Path("back")));
  ASSERT_OK_AND_ASSIGN(oci::LoadedImage loaded,
                       oci::ReadDockerArchive(Path("out.tar"), "second:2", *back));
  EXPECT_THAT(loaded.repo_tags, ElementsAre("second:2"));
  // A name the archive does not hold is the user's error, naming the file.
  absl::StatusOr<CopyResult> missing =
      CopyImage(*session_, Loc("docker-archive:" + Path("in.tar") + ":other:1"),
                Loc("oci:" + Path("o")), {}, archive_);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("in.tar"));
}

}  // namespace
}  // namespace pusher
