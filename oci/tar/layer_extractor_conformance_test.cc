// Applies go-containerregistry's mutate test images (docker-save tarballs in
// ../shared/conformance/go-containerregistry/mutate, used in place) layer by layer with kApply, and
// checks the flattened trees against what those images are built to show (its README and the
// files beside the tarballs): whiteouts delete, a later layer's symlink replaces a file, a whited
// out directory comes back only with the later layer's contents. Every layer's diff_id must match
// the image config's rootfs.diff_ids.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "oci/digest.h"
#include "oci/tar/layer_extractor.h"

namespace oci {
namespace {

std::string MutateDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir ? srcdir : ".";
  for (const std::string& candidate : {base + "/conformance/go-containerregistry/mutate",
                                       base + "/slipway/external/conformance/go-containerregistry/mutate"}) {
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0) return candidate;
  }
  return base + "/conformance/go-containerregistry/mutate";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<ExtractStats> ApplyFile(const std::string& file, const std::string& root,
                                       const ExtractOptions& options = {}) {
  base::ScopedFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::NotFoundError(file);
  return ApplyLayer(fd.get(), root, options);
}

// Unpacks the image tarball (itself a plain tar) and applies its layers in order into a fresh
// root, checking each diff_id. Returns the root's scratch dir.
base::ScopedTempDir Flatten(const std::string& image_tar) {
  auto staging = base::ScopedTempDir::Create("image-");
  auto rootfs = base::ScopedTempDir::Create("rootfs-");
  EXPECT_OK(staging.status());
  EXPECT_OK(rootfs.status());
  EXPECT_OK(ApplyFile(MutateDir() + "/" + image_tar, staging->path()).status()) << image_tar;
  auto manifest = nlohmann::json::parse(Slurp(staging->path() + "/manifest.json"));
  const std::string config_name = manifest[0]["Config"].get<std::string>();
  auto config = nlohmann::json::parse(Slurp(staging->path() + "/" + config_name));
  const auto& diff_ids = config["rootfs"]["diff_ids"];
  const auto& layers = manifest[0]["Layers"];
  EXPECT_EQ(layers.size(), diff_ids.size()) << image_tar;
  for (size_t i = 0; i < layers.size() && i < diff_ids.size(); ++i) {
    ExtractOptions options;
    auto expected = Digest::Parse(diff_ids[i].get<std::string>());
    EXPECT_OK(expected.status());
    options.expected_diff_id = *expected;
    absl::StatusOr<ExtractStats> stats =
        ApplyFile(staging->path() + "/" + layers[i].get<std::string>(), rootfs->path(), options);
    EXPECT_OK(stats.status()) << image_tar << " layer " << i;
  }
  return std::move(*rootfs);
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

TEST(MutateConformanceTest, WhiteoutImageDeletesFooKeepsBar) {
  base::ScopedTempDir root = Flatten("whiteout_image.tar");
  EXPECT_FALSE(Exists(root.path() + "/foo.txt"));
  EXPECT_FALSE(Exists(root.path() + "/.wh.foo.txt"));
  EXPECT_EQ(Slurp(root.path() + "/bar.txt"), Slurp(MutateDir() + "/whiteout/bar.txt"));
}

TEST(MutateConformanceTest, OverwrittenFileBecomesTheLaterSymlink) {
  base::ScopedTempDir root = Flatten("overwritten_file.tar");
  char target[64];
  ssize_t n = readlink((root.path() + "/foo.txt").c_str(), target, sizeof(target));
  ASSERT_GT(n, 0) << "foo.txt should now be a symlink";
  EXPECT_EQ(std::string(target, n), "bar.txt");
  EXPECT_EQ(Slurp(root.path() + "/foo.txt"), Slurp(MutateDir() + "/bar"));
}

TEST(MutateConformanceTest, SourceImageHasItsFiles) {
  base::ScopedTempDir root = Flatten("source_image.tar");
  EXPECT_EQ(Slurp(root.path() + "/foo"), Slurp(MutateDir() + "/foo"));
  EXPECT_EQ(Slurp(root.path() + "/bar"), Slurp(MutateDir() + "/bar"));
}

TEST(MutateConformanceTest, WhiteoutDirComesBackWithOnlyTheLaterContents) {
  base::ScopedTempDir root = Flatten("whiteout_dir.tar");
  // Layers: a/foo; b/bar; .wh.a; a/baz. The whiteout removed a/ with foo, the last layer re-adds a/.
  EXPECT_FALSE(Exists(root.path() + "/a/foo"));
  EXPECT_TRUE(Exists(root.path() + "/a/baz"));
  EXPECT_TRUE(Exists(root.path() + "/b/bar"));
  EXPECT_FALSE(Exists(root.path() + "/.wh.a"));
}

}  // namespace
}  // namespace oci
