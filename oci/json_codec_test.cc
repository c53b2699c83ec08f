#include "oci/json_codec.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

std::string Quote(absl::string_view s) {
  std::string out;
  json::AppendQuotedString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesLikeGo) {
  EXPECT_EQ(Quote("a<b>&c"), R"("a\u003cb\u003e\u0026c")");
  EXPECT_EQ(Quote("q\"\\"), R"("q\"\\")");
  EXPECT_EQ(Quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Quote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(Quote(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(Quote("\x7f/"), "\"\x7f/\"");                  // DEL and / are not escaped
  EXPECT_EQ(Quote("é€😀"), "\"é€😀\"");                     // valid UTF-8 kept
  EXPECT_EQ(Quote("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
  EXPECT_EQ(Quote("a\xffz"), R"("a\ufffdz")");             // invalid UTF-8
  EXPECT_EQ(Quote("\xc0\x80"), R"("\ufffd\ufffd")");       // overlong NUL
  EXPECT_EQ(Quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
}

TEST(JsonWriterTest, NumbersLikeGo) {
  ASSERT_OK_AND_ASSIGN(json::Json v,
                       json::ParseJson("[0,-1,9223372036854775807,18446744073709551615,1.5,"
                                       "1.0,0.000001,1e-7,1e21,123456789.25,-2.5e-10]"));
  EXPECT_EQ(json::WriteJson(v),
            "[0,-1,9223372036854775807,18446744073709551615,1.5,1,0.000001,1e-7,1e+21,"
            "123456789.25,-2.5e-10]");
}

TEST(JsonWriterTest, IndentLikeMarshalIndent) {
  ASSERT_OK_AND_ASSIGN(json::Json v, json::ParseJson(R"({"a":[1,{}],"b":{},"c":[],"d":{"e":null}})"));
  EXPECT_EQ(json::WriteJson(v, JsonFormat::kIndented),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {},\n  \"c\": [],\n  \"d\": {\n"
            "    \"e\": null\n  }\n}");
  EXPECT_EQ(json::WriteJson(v), R"({"a":[1,{}],"b":{},"c":[],"d":{"e":null}})");
}

TEST(JsonParseTest, KeepsMemberOrderAndReportsErrors) {
  ASSERT_OK_AND_ASSIGN(json::Json v, json::ParseJson(R"( {"z":1, "a":2} )"));
  EXPECT_EQ(json::WriteJson(v), R"({"z":1,"a":2})");
  EXPECT_THAT(json::ParseJson("{\"a\":}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON (byte 6)")));
  EXPECT_THAT(json::ParseJson("{} x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(json::ParseJson(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(json::ParseJson("\"\xff\""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  std::string deep(100000, '[');
  EXPECT_THAT(json::ParseJson(deep),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper than 256")));
  std::string ok_depth = std::string(200, '[') + std::string(200, ']');
  EXPECT_OK(json::ParseJson(ok_depth));
}

TEST(ObjectReaderTest, TypesPathsAndUnknown) {
  ASSERT_OK_AND_ASSIGN(json::Json v, json::ParseJson(
      R"({"s":"x","i":5,"big":18446744073709551615,"f":1.5,"b":true,"n":null,"arr":["a",1],"u":{"k":[1]}})"));
  ASSERT_OK_AND_ASSIGN(json::ObjectReader r, json::ObjectReader::Make(v, "root"));
  std::string s;
  EXPECT_OK(r.String("s", &s));
  EXPECT_EQ(s, "x");
  int64_t i = 0;
  EXPECT_OK(r.Int64("i", &i));
  EXPECT_EQ(i, 5);
  EXPECT_THAT(r.Int64("big", &i), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("root.big: integer out of range")));
  EXPECT_THAT(r.Int64("f", &i), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("root.f: expected an integer, got number")));
  EXPECT_THAT(r.String("n", &s), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("root.n: expected a string, got null")));
  EXPECT_THAT(r.String("missing", &s, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root.missing: required")));
  std::vector<std::string> arr;
  EXPECT_THAT(r.StringArray("arr", &arr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root.arr[1]: expected a string")));
  bool b = false;
  EXPECT_OK(r.Bool("b", &b));
  EXPECT_TRUE(b);
  std::map<std::string, std::string> unknown = r.Unknown();
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown.at("u"), R"({"k":[1]})");
}

TEST(DescriptorCodecTest, RoundTripAndValidation) {
  std::string d = Digest::Of("x").str();
  std::string text = absl::StrCat(
      R"({"mediaType":"text/plain","digest":")", d,
      R"(","size":1,"urls":["https://example.com/x"],"annotations":{"a":"b"},"data":"eA==","platform":{"architecture":"amd64","os":"linux","x-p":1},"artifactType":"application/x","x-d":true})");
  ASSERT_OK_AND_ASSIGN(Descriptor desc, ParseDescriptor(text));
  EXPECT_EQ(desc.data, "eA==");
  EXPECT_EQ(desc.platform->unknown_fields.at("x-p"), "1");
  EXPECT_EQ(EncodeDescriptor(desc), text);

  auto with = [&](absl::string_view members) {
    return ParseDescriptor(absl::StrCat(R"({"digest":")", d, R"(",)", members, "}"));
  };
  EXPECT_THAT(with(R"("size":1,"mediaType":"text/plain","data":"eA")"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("descriptor: data: not standard base64 with padding")));
  EXPECT_THAT(with(R"("size":1,"mediaType":"text/plain","urls":["value"])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("urls[0]: `value` is not an absolute URI")));
  EXPECT_THAT(with(R"("size":1,"mediaType":"text")"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mediaType: `text`")));
  EXPECT_THAT(with(R"("size":1)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mediaType: required")));
  EXPECT_THAT(with(R"("mediaType":"a/b")"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size: required")));
  EXPECT_THAT(with(R"("size":1,"mediaType":"a/b","artifactType":"x")"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("artifactType")));
  EXPECT_TRUE(json::IsValidMediaType("application/vnd.oci.image.manifest.v1+json"));
  EXPECT_FALSE(json::IsValidMediaType("/b"));
  EXPECT_FALSE(json::IsValidMediaType("a/.b"));
  EXPECT_FALSE(json::IsValidMediaType(std::string(128, 'a') + "/b"));
  EXPECT_TRUE(json::IsValidMediaType(std::string(127, 'a') + "/b"));
}

}  // namespace
}  // namespace oci
