#include "oci/manifest.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/json_codec.h"
#include "oci/media_types.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

const char kDigestA[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const char kDigestB[] = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

std::string Layer(absl::string_view extra = "") {
  return absl::StrCat(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")",
                      kDigestB, R"(","size":10)", extra, "}");
}

std::string ManifestJson(absl::string_view layers, absl::string_view extra = "") {
  return absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
      kDigestA, R"(","size":5},"layers":[)", layers, "]", extra, "}");
}

TEST(ManifestTest, ParsesAndReencodesCanonicalDocument) {
  std::string text = ManifestJson(Layer() + "," + Layer(R"(,"annotations":{"a":"1","b":"2"})"),
                                  R"(,"annotations":{"k":"v"})");
  ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(text));
  EXPECT_EQ(m.media_type, kOciManifest);
  EXPECT_EQ(m.config.digest.str(), kDigestA);
  EXPECT_EQ(m.config.size, 5);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[1].annotations.at("b"), "2");
  EXPECT_EQ(m.annotations.at("k"), "v");
  EXPECT_EQ(m.Encode(), text);
}

TEST(ManifestTest, IndentedMatchesGoMarshalIndent) {
  Manifest m;
  m.media_type = std::string(kOciManifest);
  m.config.media_type = std::string(kOciConfig);
  m.config.digest = Digest::Of("c");
  m.config.size = 1;
  Descriptor l;
  l.media_type = std::string(kOciLayerGzip);
  l.digest = Digest::Of("l");
  l.size = 2;
  m.layers.push_back(l);
  EXPECT_EQ(m.Encode(JsonFormat::kIndented),
            absl::StrCat("{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"", kOciManifest,
                         "\",\n  \"config\": {\n    \"mediaType\": \"", kOciConfig,
                         "\",\n    \"digest\": \"", Digest::Of("c").str(),
                         "\",\n    \"size\": 1\n  },\n  \"layers\": [\n    {\n      \"mediaType\": \"",
                         kOciLayerGzip, "\",\n      \"digest\": \"", Digest::Of("l").str(),
                         "\",\n      \"size\": 2\n    }\n  ]\n}"));
}

TEST(ManifestTest, UnknownMembersRoundTripAfterKnownSorted) {
  std::string text = ManifestJson(Layer(R"(,"zz":[1,{"b":2,"a":1}],"aa":null)"),
                                  R"(,"x-vendor":{"z":1,"a":"<&>"},"b-other":true)");
  ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(text));
  EXPECT_EQ(m.unknown_fields.size(), 2u);
  EXPECT_EQ(m.unknown_fields.at("x-vendor"), R"({"z":1,"a":"\u003c\u0026\u003e"})");
  EXPECT_EQ(m.layers[0].unknown_fields.at("zz"), R"([1,{"b":2,"a":1}])");
  // Known members first, then unknown ones sorted by name; order inside unknown values is kept.
  EXPECT_EQ(m.Encode(),
            ManifestJson(Layer(R"(,"aa":null,"zz":[1,{"b":2,"a":1}])"),
                         R"(,"b-other":true,"x-vendor":{"z":1,"a":"\u003c\u0026\u003e"})"));
  ASSERT_OK_AND_ASSIGN(Manifest again, Manifest::Parse(m.Encode()));
  EXPECT_EQ(again.Encode(), m.Encode());
}

TEST(ManifestTest, StrictErrorsNameThePath) {
  EXPECT_THAT(Manifest::Parse(ManifestJson(Layer() + "," + Layer() + "," +
                                           R"({"mediaType":"a/b","size":1,"digest":"sha256:xyz"})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("manifest: layers[2].digest: invalid digest")));
  EXPECT_THAT(Manifest::Parse(ManifestJson(R"({"mediaType":"a/b","size":1})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("manifest: layers[0].digest: required member is missing")));
  EXPECT_THAT(Manifest::Parse(ManifestJson(Layer(), "").replace(0, 17, R"({"schemaVersion":1)")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("manifest: schemaVersion: must be 2, got 1")));
  std::string neg = ManifestJson(absl::StrCat(R"({"mediaType":"a/b","size":-1,"digest":")", kDigestA,
                                              R"("})"));
  EXPECT_THAT(Manifest::Parse(neg), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("manifest: layers[0].size: negative size -1")));
  std::string str_size = ManifestJson(absl::StrCat(R"({"mediaType":"a/b","size":"1","digest":")",
                                                   kDigestA, R"("})"));
  EXPECT_THAT(Manifest::Parse(str_size),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[0].size: expected an integer, got string")));
  EXPECT_THAT(Manifest::Parse(ManifestJson(Layer(R"(,"annotations":{"a":1})"))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[0].annotations.a: expected a string, got integer")));
  EXPECT_THAT(Manifest::Parse(ManifestJson("")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers: an OCI image manifest needs at least one layer")));
  EXPECT_THAT(Manifest::Parse(R"({"schemaVersion":2,"layers":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config: required member")));
  EXPECT_THAT(Manifest::Parse("[1]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("manifest: expected an object, got array")));
  EXPECT_THAT(Manifest::Parse("{\"schemaVersion\":2,"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("manifest: not valid JSON")));
  EXPECT_THAT(Manifest::Parse(ManifestJson(Layer(R"(,"mediaType":"nope")"))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layers[0].mediaType")));
}

TEST(ManifestTest, DockerManifestMayHaveNoLayersAndMustHaveManifestType) {
  std::string docker = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")",
      kDigestA, R"(","size":5},"layers":[]})");
  ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(docker));
  EXPECT_TRUE(m.layers.empty());
  EXPECT_EQ(m.Encode(), docker);
  std::string index_type = docker;
  index_type.replace(index_type.find("distribution.manifest.v2"), 24,
                     "distribution.manifest.list.v2");
  EXPECT_THAT(Manifest::Parse(index_type),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mediaType: `application/vnd.docker.distribution.manifest.list")));
}

TEST(IndexTest, ParseEncodeWithPlatformAndSubject) {
  std::string text = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")",
      kDigestA,
      R"(","size":7,"platform":{"architecture":"arm","os":"linux","os.features":["x"],"variant":"v7"}}],"subject":{"mediaType":"a/b","digest":")",
      kDigestB, R"(","size":3},"annotations":{"org.opencontainers.image.ref.name":"v1"}})");
  ASSERT_OK_AND_ASSIGN(Index idx, Index::Parse(text));
  ASSERT_EQ(idx.manifests.size(), 1u);
  ASSERT_TRUE(idx.manifests[0].platform.has_value());
  EXPECT_EQ(idx.manifests[0].platform->ToString(), "linux/arm/v7");
  ASSERT_TRUE(idx.subject.has_value());
  EXPECT_EQ(idx.annotations.at(kRefNameAnnotation), "v1");
  EXPECT_EQ(idx.Encode(), text);
}

TEST(IndexTest, PlatformNeedsArchitectureAndOs) {
  std::string text = absl::StrCat(
      R"({"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":")", kDigestA,
      R"(","size":7,"platform":{"os":"linux"}}]})");
  EXPECT_THAT(Index::Parse(text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("index: manifests[0].platform.architecture: required member")));
}

TEST(SniffMediaTypeTest, ExplicitAndInferred) {
  EXPECT_THAT(SniffMediaType(R"({"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json"})"),
              base_testing::IsOk());
  ASSERT_OK_AND_ASSIGN(std::string t1, SniffMediaType(R"({"manifests":[]})"));
  EXPECT_EQ(t1, kOciIndex);
  ASSERT_OK_AND_ASSIGN(std::string t2, SniffMediaType(R"({"config":{},"layers":[]})"));
  EXPECT_EQ(t2, kOciManifest);
  ASSERT_OK_AND_ASSIGN(std::string t3, SniffMediaType(absl::StrCat(
                                           R"({"mediaType":")", kDockerManifest, R"("})")));
  EXPECT_EQ(t3, kDockerManifest);
  EXPECT_THAT(SniffMediaType(R"({"foo":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot tell")));
  EXPECT_THAT(SniffMediaType("nope"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON")));
}

}  // namespace
}  // namespace oci
