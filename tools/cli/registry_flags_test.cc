#include "tools/cli/registry_flags.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/command.h"

namespace cli {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST(RegistryFlagsTest, TransferVerbsTakeJobsAndProgress) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kTransfer);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pos,
                       flags.Parse({"--insecure-registry", "a:5000", "--insecure-registry=b",
                                    "--config", "/x/config.json", "-j", "7", "--progress", "plain",
                                    "ref"}));
  EXPECT_THAT(pos, ElementsAre("ref"));
  const pusher::SessionFlags& sf = registry.session_flags();
  EXPECT_THAT(sf.insecure_registries, ElementsAre("a:5000", "b"));
  EXPECT_EQ(sf.config_path, "/x/config.json");
  EXPECT_EQ(sf.progress, "plain");
  EXPECT_EQ(registry.TransferOptions(nullptr).jobs, 7);
  EXPECT_OK(registry.NewProgress());
}

TEST(RegistryFlagsTest, QueryVerbsTakeNoTransferFlags) {
  for (const char* flag : {"--jobs", "-j", "--progress"}) {
    FlagSet flags;
    RegistryFlags registry(flags, RegistryFlags::kQuery);
    absl::StatusOr<std::vector<std::string>> pos = flags.Parse({flag, "1", "ref"});
    ASSERT_FALSE(pos.ok()) << flag;
    EXPECT_TRUE(IsUsageError(pos.status())) << flag;
  }
}

TEST(RegistryFlagsTest, UnknownProgressModeIsAUsageError) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kTransfer);
  ASSERT_OK(flags.Parse({"--progress", "fancy"}).status());
  absl::StatusOr<std::unique_ptr<pusher::Progress>> progress = registry.NewProgress();
  EXPECT_THAT(progress, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fancy")));
  EXPECT_TRUE(IsUsageError(progress.status()));
}

TEST(RegistryFlagsTest, SessionJoinsTheConfigsAndTheFlagsInsecureRegistries) {
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("registry-flags-"));
  const std::string config = tmp.path() + "/config.json";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      config, R"({"insecure-registries": ["from-config:5000"]})", 0600));
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  ASSERT_OK(flags.Parse({"--config", config, "--insecure-registry", "from-flag:5000"}).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<pusher::Session> session, registry.OpenSession(nullptr));
  EXPECT_THAT(session->options().insecure_registries,
              UnorderedElementsAre("from-config:5000", "from-flag:5000"));
}

TEST(ArchiveOptionsTest, MtimeFromSourceDateEpochOnlyForDockerArchives) {
  ASSERT_OK_AND_ASSIGN(oci::ImageLocation archive, oci::ImageLocation::Parse("docker-archive:a.tar"));
  ASSERT_OK_AND_ASSIGN(oci::ImageLocation layout, oci::ImageLocation::Parse("oci:/x:1"));
  ASSERT_EQ(setenv("SOURCE_DATE_EPOCH", "1700000000", 1), 0);
  ASSERT_OK_AND_ASSIGN(oci::DockerArchiveOptions options, ArchiveOptions(archive));
  EXPECT_EQ(options.mtime, 1700000000);
  ASSERT_EQ(unsetenv("SOURCE_DATE_EPOCH"), 0);
  ASSERT_OK_AND_ASSIGN(options, ArchiveOptions(archive));
  EXPECT_EQ(options.mtime, 0);
  // An unusable value fails a docker-archive write only.
  ASSERT_EQ(setenv("SOURCE_DATE_EPOCH", "yesterday", 1), 0);
  EXPECT_THAT(ArchiveOptions(archive), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("SOURCE_DATE_EPOCH")));
  EXPECT_OK(ArchiveOptions(layout));
  ASSERT_EQ(unsetenv("SOURCE_DATE_EPOCH"), 0);
}

TEST(ParsePlatformFlagTest, EmptyMeansNoneAndBadIsAUsageError) {
  ASSERT_OK_AND_ASSIGN(std::optional<oci::Platform> none, ParsePlatformFlag(""));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<oci::Platform> arm, ParsePlatformFlag("linux/arm64"));
  ASSERT_TRUE(arm.has_value());
  EXPECT_EQ(arm->os, "linux");
  EXPECT_EQ(arm->architecture, "arm64");
  absl::StatusOr<std::optional<oci::Platform>> bad = ParsePlatformFlag("linux/arm64/v8/extra");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(IsUsageError(bad.status()));
}

}  // namespace
}  // namespace cli
