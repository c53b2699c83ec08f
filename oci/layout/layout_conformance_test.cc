// Reads go-containerregistry's reference OCI layouts (../shared/conformance/go-containerregistry/
// layout, see its README for what upstream expects) with our store. The data is read in place;
// anything that writes (GC) works on a copy in a temp dir.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/layout.h"
#include "oci/media_types.h"

namespace oci {
namespace {

Platform Plat(const std::string& arch, const std::string& variant = "") {
  Platform p;
  p.os = "linux";
  p.architecture = arch;
  p.variant = variant;
  return p;
}

namespace fs = std::filesystem;
using ::base_testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string LayoutsDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir ? srcdir : ".";
  for (const std::string& candidate :
       {base + "/conformance/go-containerregistry/layout",
        base + "/slipway/external/conformance/go-containerregistry/layout"}) {
    if (fs::is_directory(candidate)) return candidate;
  }
  return base + "/conformance/go-containerregistry/layout";
}

std::unique_ptr<Layout> OpenReadOnly(const std::string& name) {
  LayoutOptions options;
  options.create = false;
  absl::StatusOr<std::unique_ptr<Layout>> layout = Layout::Open(LayoutsDir() + "/" + name, options);
  EXPECT_OK(layout) << name;
  return layout.ok() ? *std::move(layout) : nullptr;
}

// Copies a layout into `dest` with writable modes (the originals are read-only).
void CopyTree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::permissions(to, fs::perms(0755));
  for (const fs::directory_entry& e : fs::directory_iterator(from)) {
    fs::path target = to / e.path().filename();
    if (e.is_directory()) {
      CopyTree(e.path(), target);
    } else {
      fs::copy_file(e.path(), target);
      fs::permissions(target, fs::perms(0644));
    }
  }
}

class LayoutConformanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Layout> Copy(const std::string& name) {
    absl::StatusOr<base::ScopedTempDir> tmp = base::ScopedTempDir::Create("gcr-layout-");
    EXPECT_OK(tmp);
    std::string dest = tmp->path() + "/" + name;
    CopyTree(LayoutsDir() + "/" + name, dest);
    tmps_.push_back(*std::move(tmp));
    LayoutOptions options;
    options.create = false;
    absl::StatusOr<std::unique_ptr<Layout>> layout = Layout::Open(dest, options);
    EXPECT_OK(layout);
    return layout.ok() ? *std::move(layout) : nullptr;
  }
  std::vector<std::string> Blobs(const Layout& layout) {
    std::vector<std::string> out;
    fs::path dir = fs::path(layout.dir()) / "blobs" / "sha256";
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<base::ScopedTempDir> tmps_;
};

constexpr char kImage[] = "sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650";
constexpr char kImageConfig[] =
    "sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e";
constexpr char kIndex[] = "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5";
constexpr char kManifestList[] =
    "sha256:2b29a2b8dea3af91ea7d0154be1da0c92d55ddd098540930fc8d3db7de377fdb";

TEST_F(LayoutConformanceTest, EveryBlobOfEveryLayoutVerifies) {
  int checked = 0;
  for (std::string name : {"test_index", "test_index_one_image", "test_index_media_type",
                                  "test_gc_index"}) {
    auto layout = OpenReadOnly(name);
    ASSERT_NE(layout, nullptr);
    for (const std::string& hex : Blobs(*layout)) {
      ASSERT_OK_AND_ASSIGN(Digest d, Digest::Parse("sha256:" + hex));
      EXPECT_OK(layout->ReadBlob(d)) << name << " " << hex;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8 + 3 + 3 + 6);
}

TEST_F(LayoutConformanceTest, TestIndexReadsAsUpstreamExpects) {
  auto layout = OpenReadOnly("test_index");
  ASSERT_NE(layout, nullptr);
  ASSERT_OK_AND_ASSIGN(Index index, layout->ReadIndex());
  ASSERT_THAT(index.manifests, SizeIs(4));
  ASSERT_OK_AND_ASSIGN(auto tags, layout->ListTags());
  ASSERT_THAT(tags, SizeIs(4));
  EXPECT_EQ(tags[0].first, "1");
  EXPECT_EQ(tags[3].first, "4");
  EXPECT_EQ(tags[3].second.digest.str(), kManifestList);
  EXPECT_EQ(tags[3].second.media_type, kDockerManifestList);
  EXPECT_EQ(tags[2].second.media_type, kOciIndex);

  // Image eebff607: an OCI manifest (by its descriptor) whose config is 6e0b0504.
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout, kImage));
  EXPECT_EQ(image.manifest_descriptor.media_type, kOciManifest);
  EXPECT_EQ(image.manifest.config.digest.str(), kImageConfig);
  EXPECT_THAT(image.manifest.layers, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(ImageRef by_tag, ReadImage(*layout, "1"));
  EXPECT_EQ(by_tag.manifest_descriptor.digest.str(), kImage);

  // The child index 2b29a2b8 is a Docker manifest list.
  ASSERT_OK_AND_ASSIGN(Digest list_digest, Digest::Parse(kManifestList));
  ASSERT_OK_AND_ASSIGN(std::string list_json, layout->ReadBlob(list_digest));
  ASSERT_OK_AND_ASSIGN(Index list, Index::Parse(list_json));
  EXPECT_THAT(list.manifests, SizeIs(1));

  // Tag "2" is a descriptor of type application/vnd.oci.descriptor.v1+json: not an image.
  EXPECT_THAT(ReadImage(*layout, "2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("application/vnd.oci.descriptor.v1+json")));
  // The bogus digest fails.
  EXPECT_THAT(
      ReadImage(*layout, "sha256:deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef")
          .status(),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("deadbeef")));
  // Upstream's layout.Image(05f95b26) fails because it is an index. Our ReadImage resolves indexes
  // to a platform instead: the index's only entry has no platform and its config says linux/amd64.
  Platform arm64 = Plat("arm64");
  EXPECT_THAT(ReadImage(*layout, kIndex, &arm64).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("linux/amd64")));
  Platform amd64 = Plat("amd64");
  ASSERT_OK_AND_ASSIGN(ImageRef through_index, ReadImage(*layout, kIndex, &amd64));
  EXPECT_EQ(through_index.manifest_descriptor.digest.str(), kImage);
}

TEST_F(LayoutConformanceTest, CustomMediaTypesArePreserved) {
  auto layout = OpenReadOnly("test_index_media_type");
  ASSERT_NE(layout, nullptr);
  ASSERT_OK_AND_ASSIGN(Index index, layout->ReadIndex());
  ASSERT_THAT(index.manifests, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(std::string json, layout->ReadBlob(index.manifests[0].digest));
  ASSERT_OK_AND_ASSIGN(Manifest manifest, Manifest::Parse(json));
  EXPECT_EQ(manifest.config.media_type, "application/vnd.cncf.helm.config.v1+json");
  ASSERT_THAT(manifest.layers, SizeIs(1));
  EXPECT_EQ(manifest.layers[0].media_type, "application/tar+gzip");
  // A Helm chart is not a container image: ReadImage says so rather than misreading its config.
  EXPECT_THAT(ReadImage(*layout, index.manifests[0].digest.str()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("application/vnd.cncf.helm.config.v1+json")));
}

TEST_F(LayoutConformanceTest, GcRemovesNothingFromCompleteLayouts) {
  for (std::string name : {"test_index_one_image", "test_index_media_type"}) {
    auto layout = Copy(name);
    ASSERT_NE(layout, nullptr);
    std::vector<std::string> before = Blobs(*layout);
    ASSERT_OK_AND_ASSIGN(GcStats stats, layout->GarbageCollect());
    EXPECT_EQ(stats.blobs_removed, 0) << name;
    EXPECT_EQ(Blobs(*layout), before) << name;
  }
}

TEST_F(LayoutConformanceTest, GcRemovesExactlyTheUnreferencedBlob) {
  auto layout = Copy("test_gc_index");
  ASSERT_NE(layout, nullptr);
  std::vector<std::string> before = Blobs(*layout);
  ASSERT_OK_AND_ASSIGN(GcStats stats, layout->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 1);
  std::vector<std::string> after = Blobs(*layout);
  std::vector<std::string> removed;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(removed));
  EXPECT_THAT(removed, testing::ElementsAre(
                           "492b89b9dd3cda4596f94916d17f6901455fb8bd7f4c5a2a90df8d39c90f48a0"));
}

TEST_F(LayoutConformanceTest, GcFailsOnAnUnknownMediaType) {
  for (std::string name : {"test_gc_image_unknown_mediatype", "test_index"}) {
    auto layout = Copy(name);
    ASSERT_NE(layout, nullptr);
    std::vector<std::string> before = Blobs(*layout);
    EXPECT_THAT(layout->GarbageCollect().status(),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("unknown media type: application/vnd.oci.descriptor.v1+json")))
        << name;
    EXPECT_EQ(Blobs(*layout), before) << name;
  }
}

}  // namespace
}  // namespace oci
