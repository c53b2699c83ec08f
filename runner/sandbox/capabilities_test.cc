#include "runner/sandbox/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using Names = std::vector<std::string>;

// Every capability of a kernel whose last one is `last`.
std::vector<int> All(int last) {
  std::vector<int> v;
  for (int c = 0; c <= last; ++c) v.push_back(c);
  return v;
}

std::vector<int> Sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ParseCapabilityTest, AcceptsDockerSpellings) {
  for (const char* name : {"NET_ADMIN", "net_admin", "CAP_NET_ADMIN", "cap_net_admin",
                           "Cap_Net_Admin", " NET_ADMIN "}) {
    absl::StatusOr<int> cap = ParseCapability(name, kLastKnownCapability);
    ASSERT_THAT(cap, IsOk()) << name;
    EXPECT_EQ(*cap, CAP_NET_ADMIN) << name;
  }
  EXPECT_EQ(*ParseCapability("chown", 40), CAP_CHOWN);
  EXPECT_EQ(*ParseCapability("checkpoint_restore", 40), 40);
}

TEST(ParseCapabilityTest, RejectsUnknownNames) {
  EXPECT_THAT(ParseCapability("NET_ADMIM", 40),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown capability `CAP_NET_ADMIM`")));
  EXPECT_THAT(ParseCapability("", 40), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(ParseCapability("ALL", 40), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(ParseCapability("CAP_ALL", 40), StatusIs(absl::StatusCode::kInvalidArgument, _));
  // Known to this code but not to an older kernel.
  EXPECT_THAT(ParseCapability("BPF", 37), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(ParseCapability("AUDIT_READ", 37), IsOk());
}

TEST(CapabilityNameTest, NamesByNumber) {
  EXPECT_EQ(CapabilityName(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(CapabilityName(0), "CAP_CHOWN");
  EXPECT_EQ(CapabilityName(63), "CAP_63");
}

TEST(ResolveCapabilitiesTest, NoFlagsGiveDockersDefaults) {
  absl::StatusOr<std::vector<int>> caps = ResolveCapabilities({}, {}, 40, All(40));
  ASSERT_THAT(caps, IsOk());
  EXPECT_THAT(*caps, ElementsAreArray(Sorted(DefaultCapabilities())));
  EXPECT_EQ(caps->size(), 14u);
}

TEST(ResolveCapabilitiesTest, DropAndAdd) {
  absl::StatusOr<std::vector<int>> caps =
      ResolveCapabilities({"net_admin", "CAP_SYS_PTRACE"}, {"CHOWN", "cap_kill"}, 40, All(40));
  ASSERT_THAT(caps, IsOk());
  std::vector<int> want;
  for (int c : DefaultCapabilities())
    if (c != CAP_CHOWN && c != CAP_KILL) want.push_back(c);
  want.push_back(CAP_NET_ADMIN);
  want.push_back(CAP_SYS_PTRACE);
  EXPECT_THAT(*caps, ElementsAreArray(Sorted(want)));
}

TEST(ResolveCapabilitiesTest, AddWinsOverDropOfTheSameCapability) {
  absl::StatusOr<std::vector<int>> caps =
      ResolveCapabilities({"CHOWN"}, {"cap_chown"}, 40, All(40));
  ASSERT_THAT(caps, IsOk());
  EXPECT_THAT(*caps, ElementsAreArray(Sorted(DefaultCapabilities())));
}

TEST(ResolveCapabilitiesTest, DropAllKeepsOnlyTheAdds) {
  EXPECT_THAT(*ResolveCapabilities({}, {"ALL"}, 40, All(40)), ElementsAre());
  EXPECT_THAT(*ResolveCapabilities({"NET_BIND_SERVICE", "chown"}, {"all"}, 40, All(40)),
              ElementsAre(CAP_CHOWN, CAP_NET_BIND_SERVICE));
}

TEST(ResolveCapabilitiesTest, AddAllKeepsEveryCapabilityOfTheKernel) {
  absl::StatusOr<std::vector<int>> caps =
      ResolveCapabilities({"ALL"}, {"CHOWN", "ALL"}, 37, All(37));
  ASSERT_THAT(caps, IsOk());
  ASSERT_EQ(caps->size(), 38u);
  EXPECT_EQ(caps->front(), 0);
  EXPECT_EQ(caps->back(), 37);
}

TEST(ResolveCapabilitiesTest, AllAndAddsAreBoundedByWhatIsAvailable) {
  // slipway confined without CAP_SYS_RESOURCE (24): ALL leaves it out, adding it is refused.
  std::vector<int> available = All(40);
  available.erase(available.begin() + CAP_SYS_RESOURCE);
  absl::StatusOr<std::vector<int>> caps = ResolveCapabilities({"ALL"}, {}, 40, available);
  ASSERT_THAT(caps, IsOk());
  EXPECT_THAT(*caps, ElementsAreArray(available));
  EXPECT_THAT(ResolveCapabilities({"SYS_RESOURCE"}, {}, 40, available),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("--cap-add: CAP_SYS_RESOURCE is not in slipway's own bounding")));
  EXPECT_THAT(ResolveCapabilities({"SYS_ADMIN"}, {}, 40, available), IsOk());
}

TEST(AvailableCapabilitiesTest, IsTheBoundingSet) {
  std::vector<int> available = AvailableCapabilities();
  for (int cap : available) EXPECT_EQ(prctl(PR_CAPBSET_READ, cap, 0, 0, 0), 1) << cap;
  int last = KernelLastCapability();
  for (int cap = 0; cap <= last; ++cap)
    if (std::find(available.begin(), available.end(), cap) == available.end())
      EXPECT_EQ(prctl(PR_CAPBSET_READ, cap, 0, 0, 0), 0) << cap;
}

TEST(ResolveCapabilitiesTest, DuplicatesCollapse) {
  absl::StatusOr<std::vector<int>> caps =
      ResolveCapabilities({"NET_ADMIN", "net_admin", "CAP_NET_ADMIN"}, {"ALL"}, 40, All(40));
  ASSERT_THAT(caps, IsOk());
  EXPECT_THAT(*caps, ElementsAre(CAP_NET_ADMIN));
}

TEST(ResolveCapabilitiesTest, UnknownNameNamesTheFlag) {
  EXPECT_THAT(ResolveCapabilities({"NET_ADMIN", "FLY"}, {}, 40, All(40)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--cap-add: unknown capability `CAP_FLY`")));
  EXPECT_THAT(ResolveCapabilities({}, {"bogus"}, 40, All(40)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--cap-drop: unknown capability `CAP_BOGUS`")));
}

TEST(KernelLastCapabilityTest, IsInRange) {
  int last = KernelLastCapability();
  EXPECT_GE(last, CAP_AUDIT_READ);  // every supported kernel (>= 3.16)
  EXPECT_LE(last, kLastKnownCapability);
}

}  // namespace
}  // namespace runner
