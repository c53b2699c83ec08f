#include "oci/descriptor.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

struct PlatformCase {
  const char* input;
  const char* normalised;
};

TEST(PlatformTest, ParseNormalisesLikeContainerd) {
  const PlatformCase cases[] = {
      {"linux/amd64", "linux/amd64"},
      {"linux/x86_64", "linux/amd64"},
      {"linux/x86-64", "linux/amd64"},
      {"Linux/AMD64", "linux/amd64"},
      {"linux/amd64/v1", "linux/amd64"},
      {"linux/amd64/v3", "linux/amd64/v3"},
      {"linux/aarch64", "linux/arm64"},
      {"linux/arm64/v8", "linux/arm64"},
      {"linux/arm64/8", "linux/arm64"},
      {"linux/armhf", "linux/arm/v7"},
      {"linux/armel", "linux/arm/v6"},
      {"linux/arm", "linux/arm/v7"},
      {"linux/arm/7", "linux/arm/v7"},
      {"linux/arm/6", "linux/arm/v6"},
      {"linux/arm/v5", "linux/arm/v5"},
      {"linux/i386", "linux/386"},
      {"linux/ppc64le", "linux/ppc64le"},
      {"macos/arm64", "darwin/arm64"},
      {"windows/amd64", "windows/amd64"},
      {"amd64", "linux/amd64"},
      {"aarch64", "linux/arm64"},
      {"armhf", "linux/arm/v7"},
  };
  for (const PlatformCase& c : cases) {
    ASSERT_OK_AND_ASSIGN(Platform p, Platform::Parse(c.input));
    EXPECT_EQ(p.ToString(), c.normalised) << c.input;
  }
}

TEST(PlatformTest, LoneOsTakesHostArchitecture) {
  ASSERT_OK_AND_ASSIGN(Platform p, Platform::Parse("linux"));
  Platform host = Platform::Host();
  EXPECT_EQ(p.os, "linux");
  EXPECT_EQ(p.architecture, host.architecture);
  EXPECT_EQ(p.variant, host.variant);
}

TEST(PlatformTest, HostIsLinuxWithKnownArch) {
  Platform host = Platform::Host();
  EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
  EXPECT_EQ(host.ToString(), "linux/amd64");
#elif defined(__aarch64__)
  EXPECT_EQ(host.ToString(), "linux/arm64");
#endif
  // Host() must round-trip through Parse.
  ASSERT_OK_AND_ASSIGN(Platform again, Platform::Parse(host.ToString()));
  EXPECT_EQ(again.ToString(), host.ToString());
}

TEST(PlatformTest, RejectsMalformed) {
  EXPECT_THAT(Platform::Parse(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(Platform::Parse("linux/"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty architecture")));
  EXPECT_THAT(Platform::Parse("/amd64"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty os")));
  EXPECT_THAT(Platform::Parse("linux/arm/v7/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 4 components")));
  EXPECT_THAT(Platform::Parse("linux/amd 64"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contains ` `")));
  EXPECT_THAT(Platform::Parse("linux/arm/"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty variant")));
  EXPECT_THAT(Platform::Parse("toaster"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("neither a known OS nor architecture")));
}

TEST(DescriptorTest, DefaultsAreEmpty) {
  Descriptor d;
  EXPECT_TRUE(d.digest.empty());
  EXPECT_EQ(d.size, 0);
  EXPECT_FALSE(d.platform.has_value());
  EXPECT_STREQ(kRefNameAnnotation, "org.opencontainers.image.ref.name");
}

}  // namespace
}  // namespace oci
