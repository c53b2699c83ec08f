#include "runner/container/etc_hosts.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseExtraHostTest, HostColonIpv4) {
  absl::StatusOr<ExtraHost> h = ParseExtraHost("db.local:10.0.0.5");
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->name, "db.local");
  EXPECT_EQ(h->ip, "10.0.0.5");
}

TEST(ParseExtraHostTest, Ipv6SplitsAtTheFirstColon) {
  absl::StatusOr<ExtraHost> h = ParseExtraHost("v6:2001:db8::1");
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->name, "v6");
  EXPECT_EQ(h->ip, "2001:db8::1");
}

TEST(ParseExtraHostTest, EqualsSeparatorAndBrackets) {
  absl::StatusOr<ExtraHost> h = ParseExtraHost("v6=[::1]");
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->name, "v6");
  EXPECT_EQ(h->ip, "::1");
  h = ParseExtraHost("web=192.168.1.2");
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->ip, "192.168.1.2");
}

TEST(ParseExtraHostTest, RejectsBadInput) {
  EXPECT_THAT(ParseExtraHost("nohost"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--add-host `nohost`: expected HOST:IP")));
  EXPECT_THAT(ParseExtraHost(":1.2.3.4"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("with a host name")));
  EXPECT_THAT(ParseExtraHost("a:1.2.3"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("`1.2.3` is not an IPv4 or IPv6 address")));
  EXPECT_THAT(ParseExtraHost("a:example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an IPv4 or IPv6")));
  EXPECT_THAT(ParseExtraHost("a=b:1.2.3.4"),  // `=` wins: the host would be `a`, the IP `b:…`
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an IPv4 or IPv6")));
  EXPECT_THAT(ParseExtraHost("gw:host-gateway"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no bridge network")));
}

TEST(ValidateHostnameTest, AcceptsRfc1123Names) {
  for (const char* name : {"a", "web", "web-1", "build.example.com", "0abc", "A1"})
    EXPECT_THAT(ValidateHostname(name), IsOk()) << name;
  EXPECT_THAT(ValidateHostname(std::string(64, 'a')), IsOk());
}

TEST(ValidateHostnameTest, RejectsOthers) {
  for (const char* name :
       {"", "-web", "web-", "a..b", ".a", "a.", "under_score", "sp ace", "sl/ash"})
    EXPECT_THAT(ValidateHostname(name),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid --hostname")))
        << name;
  EXPECT_THAT(ValidateHostname(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 64")));
}

TEST(AppendExtraHostsTest, AppendsInOrder) {
  std::string hosts = "127.0.0.1\tlocalhost\n";
  EXPECT_EQ(AppendExtraHosts(hosts, {}), hosts);
  EXPECT_EQ(AppendExtraHosts(hosts, {{"db", "10.0.0.5"}, {"v6", "::1"}}),
            "127.0.0.1\tlocalhost\n10.0.0.5\tdb\n::1\tv6\n");
  EXPECT_EQ(AppendExtraHosts("127.0.0.1 localhost", {{"db", "10.0.0.5"}}),
            "127.0.0.1 localhost\n10.0.0.5\tdb\n");
}

}  // namespace
}  // namespace runner
