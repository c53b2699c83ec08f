#include "oci/layout/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/layout.h"
#include "oci/media_types.h"

namespace oci {
namespace {

namespace fs = std::filesystem;
using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kImage1Config[] =
    "sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e";
constexpr char kImage2Config[] =
    "sha256:930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9";

std::string TarballDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir ? srcdir : ".";
  for (const std::string& candidate :
       {base + "/conformance/go-containerregistry/tarball",
        base + "/slipway/external/conformance/go-containerregistry/tarball"}) {
    if (fs::is_directory(candidate)) return candidate;
  }
  return base + "/conformance/go-containerregistry/tarball";
}

// Writes a tar of (name -> content) members, in the order given, with libarchive.
void WriteTestTar(const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, content] : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, content.size());
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(a, content.data(), content.size()),
              static_cast<la_ssize_t>(content.size()));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// gzip-compresses `data` with libarchive's raw writer.
std::string Gzip(const std::string& data) {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_raw(a);
  std::vector<char> out(data.size() + 4096);
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return std::string(out.data(), used);
}

// Member names and contents of a tar, in archive order.
std::vector<std::pair<std::string, std::string>> ReadTar(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path.c_str(), 65536) != ARCHIVE_OK) return out;
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string content;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) content.append(buf, n);
    EXPECT_EQ(archive_entry_mtime(e), 0) << archive_entry_pathname(e);
    EXPECT_EQ(archive_entry_uid(e), 0);
    const char* uname = archive_entry_uname(e);
    EXPECT_TRUE(uname == nullptr || *uname == '\0') << uname;
    out.emplace_back(archive_entry_pathname(e), content);
  }
  archive_read_free(a);
  return out;
}

class DockerArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("docker-archive-"));
    tmp_.emplace(std::move(tmp));
    ASSERT_OK_AND_ASSIGN(layout_, Layout::Open(tmp_->path() + "/layout"));
  }
  std::string Tarball(const std::string& name) { return TarballDir() + "/" + name; }
  std::string Tmp(const std::string& name) { return tmp_->path() + "/" + name; }

  std::optional<base::ScopedTempDir> tmp_;
  std::unique_ptr<Layout> layout_;
};

TEST_F(DockerArchiveTest, LoadsALegacySingleImageArchive) {
  for (const std::string name : {"test_image_1.tar", "test_load_manifest.tar"}) {
    ASSERT_OK_AND_ASSIGN(LoadedImage loaded, ReadDockerArchive(Tarball(name), "", *layout_));
    EXPECT_EQ(loaded.config.str(), kImage1Config);
    EXPECT_THAT(loaded.repo_tags, ElementsAre("bazel/v1/tarball:test_image_1"));
    ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout_, loaded.manifest.digest.str()));
    ASSERT_THAT(image.manifest.layers, SizeIs(1));
    EXPECT_EQ(image.manifest.layers[0].media_type, kOciLayer);
    EXPECT_EQ(image.manifest.layers[0].size, 10240);
    EXPECT_EQ(image.manifest.layers[0].digest, image.config.diff_ids[0]);
    EXPECT_THAT(image.config.history, SizeIs(1));
  }
}

TEST_F(DockerArchiveTest, ABundleNeedsATag) {
  EXPECT_THAT(ReadDockerArchive(Tarball("test_bundle.tar"), "", *layout_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("holds 2 images")));
  for (const std::string tag : {"test_image_1", "test_image_1:latest",
                                "index.docker.io/library/test_image_1:latest"}) {
    ASSERT_OK_AND_ASSIGN(LoadedImage loaded,
                         ReadDockerArchive(Tarball("test_bundle.tar"), tag, *layout_));
    EXPECT_EQ(loaded.config.str(), kImage1Config) << tag;
  }
  for (const std::string tag : {"test_image_2", "test_image_2:latest"}) {
    ASSERT_OK_AND_ASSIGN(LoadedImage loaded,
                         ReadDockerArchive(Tarball("test_bundle.tar"), tag, *layout_));
    EXPECT_EQ(loaded.config.str(), kImage2Config) << tag;
    EXPECT_OK(ReadImage(*layout_, loaded.manifest.digest.str()));
  }
  EXPECT_THAT(ReadDockerArchive(Tarball("test_bundle.tar"), "test_image_3", *layout_).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("test_image_3")));
}

TEST_F(DockerArchiveTest, FollowsASymlinkedLayer) {
  ASSERT_OK_AND_ASSIGN(LoadedImage loaded, ReadDockerArchive(Tarball("test_link.tar"),
                                                             "bazel/v1/tarball:test_image_3",
                                                             *layout_));
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout_, loaded.manifest.digest.str()));
  ASSERT_THAT(image.manifest.layers, SizeIs(2));
  bool found = false;
  for (const Descriptor& layer : image.manifest.layers) {
    if (layer.digest.str() ==
        "sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17") {
      found = true;
      EXPECT_GT(layer.size, 0);
      ASSERT_OK_AND_ASSIGN(std::string bytes, layout_->ReadBlob(layer.digest));
      EXPECT_FALSE(bytes.empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(DockerArchiveTest, RefusesArchivesWithoutAManifestList) {
  EXPECT_THAT(ReadDockerArchive(Tarball("null_manifest.tar"), "", *layout_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got null")));
  EXPECT_THAT(ReadDockerArchive(Tarball("no_manifest.tar"), "", *layout_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no manifest.json")));
}

TEST_F(DockerArchiveTest, ReadsDocker25Archives) {
  // The real hello-world archive's members, minus its layer (left out of the conformance data):
  // everything parses, and the missing layer is named.
  std::string members = TarballDir() + "/hello-world-v25-members";
  std::vector<std::pair<std::string, std::string>> real;
  for (const std::string name : {"oci-layout", "index.json", "manifest.json"}) {
    ASSERT_OK_AND_ASSIGN(std::string data, base::Env::Default()->ReadFile(members + "/" + name));
    real.emplace_back(name, data);
  }
  for (const auto& e : fs::directory_iterator(members + "/blobs/sha256")) {
    ASSERT_OK_AND_ASSIGN(std::string data, base::Env::Default()->ReadFile(e.path()));
    real.emplace_back("blobs/sha256/" + e.path().filename().string(), data);
  }
  WriteTestTar(Tmp("hello-v25.tar"), real);
  EXPECT_THAT(ReadDockerArchive(Tmp("hello-v25.tar"), "", *layout_).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("blobs/sha256/12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43")));

  // The same shape with a layer we make here.
  ASSERT_OK_AND_ASSIGN(std::string layer, base::Env::Default()->ReadFile(Tarball("content.tar")));
  Digest layer_digest = Digest::Of(layer);
  std::string config = absl::StrCat(
      R"({"architecture":"arm64","os":"linux","config":{"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":[")",
      layer_digest.str(), R"("]}})");
  Digest config_digest = Digest::Of(config);
  std::string manifest_json = absl::StrCat(
      R"([{"Config":"blobs/sha256/)", config_digest.hex(), R"(","RepoTags":["hello:v25"],"Layers":["blobs/sha256/)",
      layer_digest.hex(), R"("],"LayerSources":{")", layer_digest.str(),
      R"(":{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":10240,"digest":")",
      layer_digest.str(), R"("}}}])");
  WriteTestTar(Tmp("v25.tar"),
               {{"blobs/sha256/" + std::string(layer_digest.hex()), layer},
                {"blobs/sha256/" + std::string(config_digest.hex()), config},
                {"index.json", R"({"schemaVersion":2,"manifests":[]})"},
                {"manifest.json", manifest_json},
                {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"}});
  ASSERT_OK_AND_ASSIGN(LoadedImage loaded, ReadDockerArchive(Tmp("v25.tar"), "hello:v25", *layout_));
  EXPECT_EQ(loaded.config, config_digest);
  Platform arm64;
  arm64.os = "linux";
  arm64.architecture = "arm64";
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout_, loaded.manifest.digest.str(), &arm64));
  ASSERT_THAT(image.manifest.layers, SizeIs(1));
  EXPECT_EQ(image.manifest.layers[0].digest, layer_digest);

  // A layer that does not match the config's diff_id is refused.
  std::string wrong = config;
  wrong.replace(wrong.find(std::string(layer_digest.hex())), 64, std::string(Digest::Of("x").hex()));
  WriteTestTar(Tmp("bad.tar"),
               {{"layer.tar", layer},
                {"config.json", wrong},
                {"manifest.json", R"([{"Config":"config.json","Layers":["layer.tar"]}])"}});
  EXPECT_THAT(ReadDockerArchive(Tmp("bad.tar"), "", *layout_).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(layer_digest.str())));
}

TEST_F(DockerArchiveTest, ImportsPlainAndGzipLayerFiles) {
  ASSERT_OK_AND_ASSIGN(std::string tar, base::Env::Default()->ReadFile(Tarball("content.tar")));
  ASSERT_OK_AND_ASSIGN(ImportedLayer plain, ImportLayerFile(Tarball("content.tar"), *layout_));
  EXPECT_EQ(plain.descriptor.media_type, kOciLayer);
  EXPECT_EQ(plain.diff_id, Digest::Of(tar));
  EXPECT_EQ(plain.descriptor.digest, plain.diff_id);
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(Tmp("content.tar.gz"), Gzip(tar), 0644));
  ASSERT_OK_AND_ASSIGN(ImportedLayer gz, ImportLayerFile(Tmp("content.tar.gz"), *layout_));
  EXPECT_EQ(gz.descriptor.media_type, kOciLayerGzip);
  EXPECT_EQ(gz.diff_id, Digest::Of(tar));
  EXPECT_NE(gz.descriptor.digest, gz.diff_id);
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(Tmp("not-a-tar"), "hello", 0644));
  EXPECT_THAT(ImportLayerFile(Tmp("not-a-tar"), *layout_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a tar")));
}

TEST_F(DockerArchiveTest, WritesADeterministicDockerLoadArchive) {
  ASSERT_OK_AND_ASSIGN(std::string tar, base::Env::Default()->ReadFile(Tarball("content.tar")));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(Tmp("content.tar.gz"), Gzip(tar), 0644));
  ASSERT_OK_AND_ASSIGN(ImportedLayer gz, ImportLayerFile(Tmp("content.tar.gz"), *layout_));
  ImageConfig config;
  config.os = "linux";
  config.architecture = "amd64";
  config.created = "1970-01-01T00:00:00Z";
  config.diff_ids = {gz.diff_id};
  config.config.cmd = std::vector<std::string>{"/bat"};
  ASSERT_OK_AND_ASSIGN(Descriptor manifest,
                       WriteImage(*layout_, config, {gz.descriptor}, kOciManifest));
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout_, manifest.digest.str()));

  DockerArchiveImage item{manifest, {"example.com/team/app:v1", "app"}};
  ASSERT_OK(WriteDockerArchive(*layout_, {item}, Tmp("a.tar")));
  ASSERT_OK(WriteDockerArchive(*layout_, {item}, Tmp("b.tar")));
  ASSERT_OK_AND_ASSIGN(std::string a, base::Env::Default()->ReadFile(Tmp("a.tar")));
  ASSERT_OK_AND_ASSIGN(std::string b, base::Env::Default()->ReadFile(Tmp("b.tar")));
  EXPECT_EQ(Digest::Of(a), Digest::Of(b));

  auto members = ReadTar(Tmp("a.tar"));
  std::vector<std::string> names;
  std::map<std::string, std::string> content;
  for (const auto& [name, data] : members) {
    names.push_back(name);
    content[name] = data;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  std::string config_name = absl::StrCat(image.manifest.config.digest.hex(), ".json");
  ASSERT_EQ(content.count(config_name), 1u);
  EXPECT_EQ(Digest::Of(content[config_name]), image.manifest.config.digest);
  nlohmann::json m = nlohmann::json::parse(content["manifest.json"], nullptr, false);
  ASSERT_TRUE(m.is_array());
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["Config"], config_name);
  EXPECT_EQ(m[0]["RepoTags"], nlohmann::json({"example.com/team/app:v1", "app:latest"}));
  ASSERT_EQ(m[0]["Layers"].size(), 1u);
  std::string layer_name = m[0]["Layers"][0];
  EXPECT_EQ(content[layer_name], tar);  // uncompressed, exactly the layer's diff
  std::string id = layer_name.substr(0, layer_name.find('/'));
  EXPECT_EQ(content[id + "/VERSION"], "1.0");
  nlohmann::json repos = nlohmann::json::parse(content["repositories"], nullptr, false);
  EXPECT_EQ(repos["example.com/team/app"]["v1"], id);
  EXPECT_EQ(repos["app"]["latest"], id);

  // Our own reader takes it back, with the same image ID.
  ASSERT_OK_AND_ASSIGN(auto other, Layout::Open(Tmp("other")));
  ASSERT_OK_AND_ASSIGN(LoadedImage back, ReadDockerArchive(Tmp("a.tar"), "app:latest", *other));
  EXPECT_EQ(back.config, image.manifest.config.digest);
}

TEST_F(DockerArchiveTest, SkopeoReadsWhatWeWrite) {
  if (!fs::exists("/usr/bin/skopeo")) GTEST_SKIP() << "skopeo is not installed";
  ASSERT_OK_AND_ASSIGN(LoadedImage loaded,
                       ReadDockerArchive(Tarball("test_image_1.tar"), "", *layout_));
  ASSERT_OK(WriteDockerArchive(*layout_, {{loaded.manifest, {"slipway/test:v1"}}}, Tmp("out.tar")));
  std::string cmd = absl::StrCat("skopeo --insecure-policy copy -q docker-archive:", Tmp("out.tar"),
                                 " oci:", Tmp("skopeo-oci"), ":v1 >", Tmp("skopeo.log"), " 2>&1");
  int rc = std::system(cmd.c_str());
  absl::StatusOr<std::string> log = base::Env::Default()->ReadFile(Tmp("skopeo.log"));
  ASSERT_EQ(rc, 0) << cmd << "\n" << (log.ok() ? *log : "");
  ASSERT_OK_AND_ASSIGN(auto copied, Layout::Open(Tmp("skopeo-oci")));
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*copied, "v1"));
  ASSERT_OK_AND_ASSIGN(ImageRef ours, ReadImage(*layout_, loaded.manifest.digest.str()));
  EXPECT_EQ(image.config.diff_ids, ours.config.diff_ids);
  EXPECT_EQ(image.config.architecture, "amd64");
}

}  // namespace
}  // namespace oci
