#include "oci/digest.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kEmptySha256[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Digest::Of("").str(), kEmptySha256);
  EXPECT_EQ(Digest::Of("abc").str(), kAbcSha256);
  // FIPS 180-2 two-block vector.
  EXPECT_EQ(Digest::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").str(),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(DigestTest, MillionAsStreamingMatchesKnownVector) {
  Sha256 h;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(h.bytes(), 1000000u);
  EXPECT_EQ(h.Finish().str(),
            "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(DigestTest, StreamingEqualsOneShotForEverySplit) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  Digest one_shot = Digest::Of(data);
  for (size_t split = 0; split <= data.size(); split += 17) {
    Sha256 h;
    h.Update(data.data(), split);
    h.Update(absl::string_view(data).substr(split));
    EXPECT_EQ(h.Finish(), one_shot) << "split at " << split;
  }
  // Byte-by-byte too.
  Sha256 h;
  for (char c : data) h.Update(&c, 1);
  EXPECT_EQ(h.bytes(), data.size());
  EXPECT_EQ(h.Finish(), one_shot);
}

TEST(DigestTest, MovedHasherKeepsState) {
  Sha256 a;
  a.Update("ab");
  Sha256 b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.bytes(), 3u);
  EXPECT_EQ(b.Finish().str(), kAbcSha256);
}

TEST(DigestTest, ParseAcceptsValidAndExposesParts) {
  ASSERT_OK_AND_ASSIGN(Digest d, Digest::Parse(kAbcSha256));
  EXPECT_EQ(d, Digest::Of("abc"));
  EXPECT_EQ(d.algorithm(), "sha256");
  EXPECT_EQ(d.hex(), std::string(kAbcSha256).substr(7));
  EXPECT_FALSE(d.empty());
  EXPECT_TRUE(Digest().empty());
  EXPECT_EQ(Digest().hex(), "");
}

TEST(DigestTest, FromRawSha256) {
  unsigned char raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<unsigned char>(i * 8 + 1);
  EXPECT_EQ(Digest::FromRawSha256(raw).str(),
            "sha256:0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9");
}

TEST(DigestTest, RejectsOtherAlgorithms) {
  EXPECT_THAT(Digest::Parse("sha512:" + std::string(128, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported digest algorithm `sha512`")));
  EXPECT_THAT(Digest::Parse("SHA256:" + std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`SHA256`")));
  EXPECT_THAT(Digest::Parse(":" + std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty algorithm")));
}

TEST(DigestTest, RejectsUppercaseHex) {
  std::string text = std::string("sha256:") + std::string(63, 'a') + "B";
  EXPECT_THAT(Digest::Parse(text), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("uppercase hex is not allowed (offset 63)")));
}

TEST(DigestTest, RejectsWrongLength) {
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(63, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 63")));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 65")));
  EXPECT_THAT(Digest::Parse("sha256:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 0")));
}

TEST(DigestTest, RejectsMissingColonAndNonHex) {
  EXPECT_THAT(Digest::Parse(std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing `:`")));
  EXPECT_THAT(Digest::Parse(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing")));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(63, 'a') + "g"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-hex character at offset 63")));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(32, 'a') + ":" + std::string(31, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 32")));
}

TEST(DigestTest, LongInputIsTruncatedInMessage) {
  std::string text(10000, 'x');
  absl::StatusOr<Digest> d = Digest::Parse(text);
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.status().message().size(), 300u);
}

TEST(DigestTest, OrderingAndHashing) {
  Digest a = Digest::Of("a"), b = Digest::Of("b");
  EXPECT_NE(a, b);
  EXPECT_TRUE((a < b) != (b < a));
  absl::flat_hash_set<Digest> set = {a, b, Digest::Of("a")};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace oci
