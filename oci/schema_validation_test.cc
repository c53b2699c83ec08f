// Validates the output of OUR encoders against the OCI image-spec JSON schemas, with Debian's
// python3-jsonschema run through oci/testing/validate_schema.py (all sibling `$ref`s resolved
// offline). Documents: re-encodings of every valid spec example and BuildKit golden, plus values
// built from scratch with every optional field set. A negative control proves the validator bites.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/image_config.h"
#include "oci/json_codec.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace oci {
namespace {

std::string Runfiles() {
  const char* s = std::getenv("TEST_SRCDIR");
  return s != nullptr ? s : ".";
}

std::string ConformanceDir() {
  for (const std::string& c : {Runfiles() + "/conformance", Runfiles() + "/slipway/external/conformance"}) {
    if (base::Env::Default()->IsDirectory(c + "/oci-image-spec")) return c;
  }
  return "";
}

class SchemaValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!base::Env::Default()->Exists("/usr/bin/python3") ||
        std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
      GTEST_SKIP() << "python3-jsonschema is not installed (tools/setup.sh installs it)";
    }
    const char* tmp = std::getenv("TEST_TMPDIR");
    tmp_ = tmp != nullptr ? tmp : "/tmp";
    conformance_ = ConformanceDir();
    ASSERT_FALSE(conformance_.empty());
  }

  // Queues `doc` for validation against `entry_schema`.
  void Add(const std::string& entry_schema, const std::string& name, const std::string& doc) {
    std::string path = absl::StrCat(tmp_, "/", docs_.size(), "-", name);
    ASSERT_OK(base::Env::Default()->WriteFileAtomically(path, doc));
    docs_.push_back(absl::StrCat(entry_schema, "=", path));
  }

  // Runs the validator over the queued documents; returns its exit code and output lines.
  int Run(std::vector<std::string>* lines) {
    std::string out = tmp_ + "/validate.out";
    std::string cmd = absl::StrCat("/usr/bin/python3 -W ignore ", Runfiles(),
                                   "/slipway/oci/testing/validate_schema.py ", conformance_,
                                   "/oci-image-spec/schema");
    for (const std::string& d : docs_) absl::StrAppend(&cmd, " '", d, "'");
    absl::StrAppend(&cmd, " > ", out, " 2>&1");
    int rc = std::system(cmd.c_str());
    docs_.clear();
    absl::StatusOr<std::string> text = base::Env::Default()->ReadFile(out);
    EXPECT_TRUE(text.ok());
    if (text.ok()) *lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  std::string tmp_, conformance_;
  std::vector<std::string> docs_;
};

ImageConfig FullConfig() {
  ImageConfig c;
  c.created = "2015-10-21T07:28:00Z";
  c.author = "slipway <test@example.com>";
  c.architecture = "arm";
  c.variant = "v7";
  c.os = "linux";
  c.os_version = "6.1";
  c.os_features = {"f1"};
  c.config.user = "1000:1000";
  c.config.exposed_ports = {"80/tcp", "53/udp"};
  c.config.env = {"PATH=/bin", "EMPTY="};
  c.config.entrypoint = std::vector<std::string>{"/bin/app", "--flag"};
  c.config.cmd = std::vector<std::string>{};
  c.config.volumes = {"/data"};
  c.config.working_dir = "/work";
  c.config.labels = {{"a", "<b>&"}};
  c.config.stop_signal = "SIGTERM";
  c.config.shell = std::vector<std::string>{"/bin/sh", "-c"};
  c.config.healthcheck = HealthConfig{{"CMD", "true"}, 1, 2, 3, 4, 5, {}};
  c.config.on_build = {"RUN true"};
  c.diff_ids = {Digest::Of("layer")};
  c.history = {{"2015-10-21T07:28:00Z", "RUN x", "me", "c", false, {}},
               {"", "ENV a=b", "", "", true, {}}};
  return c;
}

Manifest FullManifest(const std::string& config_bytes) {
  Manifest m;
  m.media_type = std::string(kOciManifest);
  m.artifact_type = "application/vnd.example+type";
  m.config.media_type = std::string(kOciConfig);
  m.config.digest = Digest::Of(config_bytes);
  m.config.size = static_cast<int64_t>(config_bytes.size());
  Descriptor l;
  l.media_type = std::string(kOciLayerZstd);
  l.digest = Digest::Of("l");
  l.size = 1;
  l.urls = {"https://example.com/blob"};
  l.annotations = {{"org.opencontainers.image.title", "x"}};
  l.data = "bA==";
  m.layers = {l, l};
  Descriptor subject;
  subject.media_type = std::string(kOciManifest);
  subject.digest = Digest::Of("s");
  subject.size = 2;
  m.subject = subject;
  m.annotations = {{"k", "v"}};
  return m;
}

TEST_F(SchemaValidationTest, OurOutputValidates) {
  // 1. Built from scratch, every optional field set.
  std::string config = FullConfig().Encode();
  Add("config-schema.json", "config.json", config);
  Manifest m = FullManifest(config);
  Add("image-manifest-schema.json", "manifest.json", m.Encode());
  Add("image-manifest-schema.json", "manifest-indented.json", m.Encode(JsonFormat::kIndented));
  Index idx;
  idx.media_type = std::string(kOciIndex);
  Descriptor d;
  d.media_type = std::string(kOciManifest);
  d.digest = Digest::Of(m.Encode());
  d.size = static_cast<int64_t>(m.Encode().size());
  d.platform = Platform{"arm64", "linux", "v8", "10", {"x"}, {}};
  d.annotations = {{std::string(kRefNameAnnotation), "v1"}};
  idx.manifests = {d};
  idx.annotations = {{"a", "b"}};
  Add("image-index-schema.json", "index.json", idx.Encode());
  Add("content-descriptor.json", "descriptor.json", EncodeDescriptor(d));
  Index empty_index;
  Add("image-index-schema.json", "empty-index.json", empty_index.Encode());
  ImageConfig minimal;
  minimal.architecture = "amd64";
  minimal.os = "linux";
  Add("config-schema.json", "minimal-config.json", minimal.Encode());

  // 2. Re-encodings of every spec document we accept.
  int spec_docs = 0;
  for (const std::string folder : {"documents-from-go-tests", "examples-from-markdown"}) {
    std::string dir = conformance_ + "/oci-image-spec/" + folder;
    ASSERT_OK_AND_ASSIGN(std::string index_text, base::Env::Default()->ReadFile(dir + "/index.json"));
    ASSERT_OK_AND_ASSIGN(json::Json index, json::ParseJson(index_text));
    for (const json::Json& e : index) {
      if (e.at("expect").get<std::string>() != "valid") continue;
      std::string type = e.contains("validate_as") ? e.at("validate_as").get<std::string>()
                                                   : e.at("mediaType").get<std::string>();
      std::string file = e.at("file").get<std::string>();
      ASSERT_OK_AND_ASSIGN(std::string text, base::Env::Default()->ReadFile(dir + "/" + file));
      if (absl::StartsWith(file, "backwardscompatibility")) continue;  // Docker types, see below
      std::string name = absl::StrCat(folder, "-", file);
      if (type == kOciManifest) {
        if (auto v = Manifest::Parse(text); v.ok()) {
          Add("image-manifest-schema.json", name, v->Encode());
          ++spec_docs;
        }
      } else if (type == kOciIndex) {
        if (auto v = Index::Parse(text); v.ok()) {
          Add("image-index-schema.json", name, v->Encode());
          ++spec_docs;
        }
      } else if (type == kOciConfig) {
        if (auto v = ImageConfig::Parse(text); v.ok()) {
          Add("config-schema.json", name, v->Encode());
          ++spec_docs;
        }
      } else if (type == "application/vnd.oci.descriptor.v1+json") {
        if (auto v = ParseDescriptor(text); v.ok()) {
          Add("content-descriptor.json", name, EncodeDescriptor(*v));
          ++spec_docs;
        }
      }
    }
  }
  EXPECT_EQ(spec_docs, 30);  // 18 go-test + 12 markdown documents that parse (layout, Docker excluded)

  // 3. BuildKit goldens (Docker and OCI media types; the schemas only check the media type grammar).
  const std::string root = conformance_ + "/buildkit-export-goldens/compatibility";
  for (const std::string sub : {"common/oci-mediatypes/v30", "common/zstd-oci-types/v20",
                                 "image/default-gzip/v10", "oci/manifest-annotation/v20"}) {
    std::string mpath = root + "/" + sub + "/manifest.json";
    std::string cdir = root + "/common/" + std::string(absl::StripPrefix(
                                               absl::StripPrefix(absl::StripPrefix(sub, "common/"),
                                                                 "image/"),
                                               "oci/"));
    ASSERT_OK_AND_ASSIGN(std::string mtext, base::Env::Default()->ReadFile(mpath));
    ASSERT_OK_AND_ASSIGN(std::string ctext, base::Env::Default()->ReadFile(cdir + "/config.json"));
    ASSERT_OK_AND_ASSIGN(Manifest gm, Manifest::Parse(mtext));
    ASSERT_OK_AND_ASSIGN(ImageConfig gc, ImageConfig::Parse(ctext));
    std::string tag = absl::StrReplaceAll(sub, {{"/", "-"}});
    Add("image-manifest-schema.json", tag + "-manifest.json", gm.Encode(JsonFormat::kIndented));
    Add("config-schema.json", tag + "-config.json", gc.Encode());
  }

  std::vector<std::string> lines;
  int rc = Run(&lines);
  int valid = 0;
  for (const std::string& l : lines) {
    EXPECT_TRUE(absl::StartsWith(l, "VALID ")) << l;
    if (absl::StartsWith(l, "VALID ")) ++valid;
  }
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(valid, 7 + 30 + 8);
  std::cout << "schema-valid documents from our encoder: " << valid << "\n";
}

TEST_F(SchemaValidationTest, ValidatorRejectsBadOutput) {
  // Negative control: an OCI manifest with no layers (which Parse refuses too) and a config whose
  // rootfs type is wrong must be reported invalid, or the positive test above proves nothing.
  Manifest m = FullManifest("{}");
  m.layers.clear();
  Add("image-manifest-schema.json", "no-layers.json", m.Encode());
  Add("config-schema.json", "bad-config.json",
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"nope","diff_ids":[]}})");
  std::vector<std::string> lines;
  EXPECT_EQ(Run(&lines), 1);
  int invalid_docs = 0;
  for (const std::string& l : lines) {
    if (absl::StartsWith(l, "INVALID ")) ++invalid_docs;
  }
  EXPECT_GE(invalid_docs, 2) << absl::StrJoin(lines, "\n");
}

}  // namespace
}  // namespace oci
