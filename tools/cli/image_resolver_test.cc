#include "tools/cli/image_resolver.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/command.h"

namespace cli {
namespace {

using ::testing::ElementsAre;

TEST(AddImageResolveFlagsTest, FillsTheOptions) {
  FlagSet flags;
  ImageResolveOptions options;
  AddImageResolveFlags(flags, &options);
  EXPECT_EQ(options.pull, PullPolicy::kMissing);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pos,
                       flags.Parse({"--pull", "never", "--insecure-registry", "r:5000",
                                    "--config=/c.json", "img"}));
  EXPECT_THAT(pos, ElementsAre("img"));
  EXPECT_EQ(options.pull, PullPolicy::kNever);
  EXPECT_THAT(options.insecure_registries, ElementsAre("r:5000"));
  EXPECT_EQ(options.config_path, "/c.json");
  ASSERT_OK(flags.Parse({"--pull=always"}).status());
  EXPECT_EQ(options.pull, PullPolicy::kAlways);
}

TEST(AddImageResolveFlagsTest, UnknownPullPolicyIsAUsageError) {
  FlagSet flags;
  ImageResolveOptions options;
  AddImageResolveFlags(flags, &options);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse({"--pull", "sometimes", "img"});
  ASSERT_FALSE(pos.ok());
  EXPECT_TRUE(IsUsageError(pos.status()));
  EXPECT_THAT(std::string(pos.status().message()), ::testing::HasSubstr("sometimes"));
}

}  // namespace
}  // namespace cli
