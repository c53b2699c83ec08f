#include "oci/image_config.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kDiff[] = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

std::string Config(absl::string_view inner, absl::string_view extra = "") {
  return absl::StrCat(R"({"architecture":"amd64","config":{)", inner, R"(},"os":"linux")", extra,
                      R"(,"rootfs":{"type":"layers","diff_ids":[")", kDiff, R"("]}})");
}

TEST(ImageConfigTest, OciStyleRoundTripAllFields) {
  std::string text = absl::StrCat(
      R"({"architecture":"arm64","author":"me","config":{"User":"1000:1000","ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["A=1","B="],"Entrypoint":["/bin/app"],"Cmd":[],"Volumes":{"/data":{}},"WorkingDir":"/w","Labels":{"a":"b"},"StopSignal":"SIGTERM","ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000,"Timeout":2,"StartPeriod":3,"StartInterval":4,"Retries":5},"OnBuild":["RUN x"],"Shell":["/bin/sh","-c"],"x-extra":1},"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"RUN \u003e x","author":"a","comment":"c","empty_layer":true,"x":2}],"os":"linux","os.features":["f"],"os.version":"10","rootfs":{"type":"layers","diff_ids":[")",
      kDiff, R"("]},"variant":"v8","zz-unknown":[1,2]})");
  ASSERT_OK_AND_ASSIGN(ImageConfig c, ImageConfig::Parse(text));
  EXPECT_EQ(c.architecture, "arm64");
  EXPECT_EQ(c.variant, "v8");
  EXPECT_EQ(c.config.user, "1000:1000");
  EXPECT_THAT(c.config.exposed_ports, ElementsAre("443/tcp", "80/tcp"));
  EXPECT_THAT(c.config.env, ElementsAre("A=1", "B="));
  ASSERT_TRUE(c.config.entrypoint.has_value());
  ASSERT_TRUE(c.config.cmd.has_value());
  EXPECT_TRUE(c.config.cmd->empty());  // "Cmd": [] is set-to-empty, not absent
  ASSERT_TRUE(c.config.healthcheck.has_value());
  EXPECT_EQ(c.config.healthcheck->interval_ns, 1000000000);
  EXPECT_EQ(c.config.healthcheck->start_interval_ns, 4);
  EXPECT_EQ(c.config.healthcheck->retries, 5);
  EXPECT_THAT(c.config.on_build, ElementsAre("RUN x"));
  EXPECT_EQ(c.config.unknown_fields.at("ArgsEscaped"), "true");
  EXPECT_EQ(c.history.at(0).created_by, "RUN > x");
  EXPECT_TRUE(c.history[0].empty_layer);
  EXPECT_EQ(c.unknown_fields.at("zz-unknown"), "[1,2]");
  EXPECT_EQ(c.Encode(), text);
}

TEST(ImageConfigTest, CmdAbsentNullAndEmpty) {
  ASSERT_OK_AND_ASSIGN(ImageConfig absent, ImageConfig::Parse(Config(R"("User":"u")")));
  EXPECT_FALSE(absent.config.cmd.has_value());
  ASSERT_OK_AND_ASSIGN(ImageConfig null_cmd, ImageConfig::Parse(Config(R"("Cmd":null)")));
  EXPECT_FALSE(null_cmd.config.cmd.has_value());
  ASSERT_OK_AND_ASSIGN(ImageConfig empty, ImageConfig::Parse(Config(R"("Entrypoint":[])")));
  ASSERT_TRUE(empty.config.entrypoint.has_value());
  EXPECT_TRUE(empty.config.entrypoint->empty());
  EXPECT_EQ(empty.Encode(), Config(R"("Entrypoint":[])"));
  EXPECT_EQ(absent.Encode(), Config(R"("User":"u")"));
}

TEST(ImageConfigTest, DockerStyleKeepsNullsAndStructOrder) {
  // Docker's container.Config never omits its members; Hostname marks that style.
  std::string inner =
      R"("Hostname":"","Domainname":"","User":"","AttachStdin":false,"Tty":false,"Env":["P=1"],"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null)";
  ASSERT_OK_AND_ASSIGN(ImageConfig c, ImageConfig::Parse(Config(inner)));
  EXPECT_FALSE(c.config.entrypoint.has_value());
  EXPECT_EQ(c.Encode(), Config(inner));
}

TEST(ImageConfigTest, BuiltFromScratchIsSortedAndOmitsEmpty) {
  ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.created = "1970-01-01T00:00:00Z";
  c.config.cmd = std::vector<std::string>{"sh"};
  c.config.env = {"PATH=/bin"};
  c.diff_ids.push_back(Digest::Of(""));
  c.history.push_back({"1970-01-01T00:00:00Z", "ADD x", "", "", false, {}});
  EXPECT_EQ(c.Encode(),
            absl::StrCat(R"({"architecture":"amd64","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"ADD x"}],"os":"linux","rootfs":{"type":"layers","diff_ids":[")",
                         Digest::Of("").str(), R"("]}})"));
}

TEST(ImageConfigTest, StrictErrors) {
  EXPECT_THAT(ImageConfig::Parse(Config(R"("User":1)")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("image config: config.User: expected a string, got integer")));
  EXPECT_THAT(ImageConfig::Parse(Config(R"("Env":["A=1","NOEQUALS"])")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config.Env[1]: `NOEQUALS` is not of the form NAME=VALUE")));
  EXPECT_THAT(ImageConfig::Parse(Config(R"("Env":["=x"])")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.Env[0]")));
  EXPECT_THAT(ImageConfig::Parse(Config(R"("Volumes":["/a"])")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config.Volumes: expected an object, got array")));
  EXPECT_THAT(ImageConfig::Parse(Config(R"("ExposedPorts":{"80/tcp":1})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.ExposedPorts.80/tcp")));
  EXPECT_THAT(ImageConfig::Parse(Config(R"("Healthcheck":{"Retries":"3"})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.Healthcheck.Retries")));
  EXPECT_THAT(ImageConfig::Parse(Config("", R"(,"history":"x")")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history: expected an array")));
  EXPECT_THAT(ImageConfig::Parse(Config("", R"(,"history":[{},{"empty_layer":"yes"}])")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history[1].empty_layer")));
  EXPECT_THAT(ImageConfig::Parse(R"({"architecture":"amd64","os":"linux"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs: required member")));
  EXPECT_THAT(ImageConfig::Parse(R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("architecture: required")));
  EXPECT_THAT(
      ImageConfig::Parse(R"({"architecture":"a","os":"linux","rootfs":{"type":"l","diff_ids":[]}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs.type: must be `layers`")));
  EXPECT_THAT(ImageConfig::Parse(
                  R"({"architecture":"a","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:AB"]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs.diff_ids[0]")));
  EXPECT_THAT(ImageConfig::Parse(Config("", R"(,"variant":7)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("variant: expected a string")));
}

}  // namespace
}  // namespace oci
