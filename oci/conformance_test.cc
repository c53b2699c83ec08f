// Checks the OCI core against third-party data in @conformance (used in place, never copied):
//  - every document of oci-image-spec/{documents-from-go-tests,examples-from-markdown}: valid ones
//    parse, invalid ones are refused;
//  - every BuildKit-exported manifest+config pair: parses, the config digest/size match the config
//    bytes, and re-encoding gives back the exact bytes.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

using ::testing::HasSubstr;

std::string ConformanceDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir != nullptr ? srcdir : ".";
  for (const std::string& candidate :
       {base + "/conformance", base + "/slipway/external/conformance",
        base + "/__main__/external/conformance"}) {
    if (base::Env::Default()->IsDirectory(candidate + "/oci-image-spec")) return candidate;
  }
  return "";
}

std::string ReadOrDie(const std::string& path) {
  absl::StatusOr<std::string> data = base::Env::Default()->ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

// Parses `text` as the document type `media_type` names. Layout headers are not ours
// (oci/layout owns them) and come back as Unimplemented.
absl::Status ParseAs(absl::string_view media_type, absl::string_view text) {
  if (media_type == "application/vnd.oci.descriptor.v1+json") return ParseDescriptor(text).status();
  if (IsManifest(media_type)) return Manifest::Parse(text).status();
  if (IsIndex(media_type)) return Index::Parse(text).status();
  if (media_type == kOciConfig || media_type == kDockerConfig) {
    return ImageConfig::Parse(text).status();
  }
  return absl::UnimplementedError(absl::StrCat("not an oci/ document type: ", media_type));
}

// Valid upstream documents that use digest algorithms other than sha256 (sha512, sha256+b64u,
// multihash+base58, …). Slipway accepts only sha256 by design (issue 2), so it refuses these; the
// test asserts that this is the only reason.
bool UsesOtherDigestAlgorithm(absl::string_view text) {
  for (absl::string_view algo : {"\"sha512:", "\"sha256+", "\"sha256.", "\"multihash+", "\"sha384:"}) {
    if (absl::StrContains(text, algo)) return true;
  }
  return false;
}

struct Tally {
  int valid_parsed = 0, valid_refused_by_policy = 0, invalid_refused = 0, skipped = 0, total = 0;
};

Tally RunSpecFolder(const std::string& folder) {
  Tally t;
  std::string index_text = ReadOrDie(folder + "/index.json");
  absl::StatusOr<json::Json> index = json::ParseJson(index_text);
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return t;
  for (const json::Json& entry : *index) {
    const std::string file = entry.at("file").get<std::string>();
    const std::string media_type = entry.contains("validate_as")
                                       ? entry.at("validate_as").get<std::string>()
                                       : entry.at("mediaType").get<std::string>();
    const bool expect_valid = entry.at("expect").get<std::string>() == "valid";
    const std::string text = ReadOrDie(folder + "/" + file);
    SCOPED_TRACE(file);
    ++t.total;
    absl::Status s = ParseAs(media_type, text);
    if (s.code() == absl::StatusCode::kUnimplemented) {
      ++t.skipped;
      continue;
    }
    if (entry.contains("expected_sha256_of_file")) {
      EXPECT_EQ(Digest::Of(text).str(), entry.at("expected_sha256_of_file").get<std::string>());
    }
    if (expect_valid) {
      if (s.ok()) {
        ++t.valid_parsed;
        // Our own encoding of a valid document must parse again.
        if (media_type == "application/vnd.oci.descriptor.v1+json") {
          EXPECT_OK(ParseDescriptor(EncodeDescriptor(*ParseDescriptor(text))));
        } else if (IsManifest(media_type)) {
          EXPECT_OK(Manifest::Parse(Manifest::Parse(text)->Encode()));
        } else if (IsIndex(media_type)) {
          EXPECT_OK(Index::Parse(Index::Parse(text)->Encode()));
        } else {
          EXPECT_OK(ImageConfig::Parse(ImageConfig::Parse(text)->Encode()));
        }
      } else {
        EXPECT_TRUE(UsesOtherDigestAlgorithm(text)) << s;
        EXPECT_THAT(std::string(s.message()), HasSubstr("unsupported digest algorithm"));
        ++t.valid_refused_by_policy;
      }
    } else {
      EXPECT_FALSE(s.ok()) << "accepted an invalid document";
      if (!s.ok()) ++t.invalid_refused;
      std::cout << file << " refused: " << s.message() << "\n";
      // The four cases the schema alone cannot catch must fail for their own reason.
      if (entry.contains("needs_beyond_schema")) {
        const char* want = file == "descriptor-16.json"   ? "uppercase hex"
                           : file == "descriptor-18.json" ? "is not an absolute URI"
                           : file == "descriptor-30.json" ? "not standard base64 with padding"
                           : file == "config-10.json"     ? "is not of the form NAME=VALUE"
                                                          : "(unexpected case)";
        EXPECT_THAT(std::string(s.message()), HasSubstr(want));
      }
    }
  }
  return t;
}

TEST(OciSpecConformanceTest, DocumentsFromGoTests) {
  std::string dir = ConformanceDir();
  ASSERT_FALSE(dir.empty()) << "@conformance runfiles not found";
  Tally t = RunSpecFolder(dir + "/oci-image-spec/documents-from-go-tests");
  // 71 documents: 31 valid, 40 invalid (oci-image-spec/README.md). The 2 layout headers belong to
  // oci/layout. The 8 valid documents with non-sha256 digests are refused by policy.
  EXPECT_EQ(t.total, 71);
  EXPECT_EQ(t.skipped, 2);
  EXPECT_EQ(t.invalid_refused, 39);  // 40 invalid minus the layout header
  EXPECT_EQ(t.valid_refused_by_policy, 8);
  EXPECT_EQ(t.valid_parsed, 22);  // 31 valid minus 1 layout header minus the 8 above
  std::cout << "documents-from-go-tests: valid parsed " << t.valid_parsed
            << ", valid refused (non-sha256) " << t.valid_refused_by_policy << ", invalid refused "
            << t.invalid_refused << ", skipped (layout) " << t.skipped << "\n";
}

TEST(OciSpecConformanceTest, ExamplesFromMarkdown) {
  std::string dir = ConformanceDir();
  ASSERT_FALSE(dir.empty());
  Tally t = RunSpecFolder(dir + "/oci-image-spec/examples-from-markdown");
  EXPECT_EQ(t.total, 13);
  EXPECT_EQ(t.skipped, 1);  // the layout header
  EXPECT_EQ(t.valid_parsed + t.valid_refused_by_policy, 12);
  std::cout << "examples-from-markdown: valid parsed " << t.valid_parsed
            << ", valid refused (non-sha256) " << t.valid_refused_by_policy << "\n";
}

// BuildKit's lookup rule: common/<case>/v<N>/F if present, else <exporter>/<case>/v<N>/F.
std::string GoldenPath(const std::string& root, const std::string& exporter, const std::string& c,
                       const std::string& v, const std::string& file) {
  std::string common = absl::StrCat(root, "/common/", c, "/", v, "/", file);
  if (base::Env::Default()->Exists(common)) return common;
  return absl::StrCat(root, "/", exporter, "/", c, "/", v, "/", file);
}

TEST(BuildkitGoldensTest, ParseDigestAndByteExactReencoding) {
  std::string dir = ConformanceDir();
  ASSERT_FALSE(dir.empty());
  const std::string root = dir + "/buildkit-export-goldens/compatibility";
  const char* kCases[] = {"default-gzip",       "gzip-level-0",   "gzip-level-9",
                          "uncompressed",       "zstd-oci-types", "manifest-annotation",
                          "oci-mediatypes",     "provenance-attestation"};
  int pairs = 0, manifests_exact = 0, configs_exact = 0;
  for (const char* exporter : {"image", "oci"}) {
    for (const char* c : kCases) {
      for (const char* v : {"v10", "v20", "v30"}) {
        std::string mpath = GoldenPath(root, exporter, c, v, "manifest.json");
        std::string cpath = GoldenPath(root, exporter, c, v, "config.json");
        if (!base::Env::Default()->Exists(mpath)) continue;
        SCOPED_TRACE(mpath);
        ++pairs;
        std::string mtext = ReadOrDie(mpath), ctext = ReadOrDie(cpath);
        ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(mtext));
        ASSERT_OK_AND_ASSIGN(ImageConfig cfg, ImageConfig::Parse(ctext));
        EXPECT_EQ(m.config.digest, Digest::Of(ctext));
        EXPECT_EQ(m.config.size, static_cast<int64_t>(ctext.size()));
        EXPECT_EQ(m.layers.size(), cfg.diff_ids.size());
        if (absl::StrContains(c, "uncompressed")) {
          for (size_t i = 0; i < m.layers.size(); ++i) EXPECT_EQ(m.layers[i].digest, cfg.diff_ids[i]);
        }
        // BuildKit writes manifests with MarshalIndent and configs compact.
        std::string m_again = m.Encode(JsonFormat::kIndented);
        std::string c_again = cfg.Encode();
        EXPECT_EQ(m_again, mtext);
        EXPECT_EQ(c_again, ctext);
        if (m_again == mtext) ++manifests_exact;
        if (c_again == ctext) ++configs_exact;
        // Re-encoding is stable.
        ASSERT_OK_AND_ASSIGN(ImageConfig cfg2, ImageConfig::Parse(c_again));
        EXPECT_EQ(cfg2.Encode(), c_again);
      }
    }
  }
  EXPECT_EQ(pairs, 48);
  std::cout << "buildkit goldens: " << pairs << " pairs, manifests byte-exact " << manifests_exact
            << ", configs byte-exact " << configs_exact << "\n";
}

}  // namespace
}  // namespace oci
