// Id mappings: parsing /etc/subuid-style files, the cache key, and work inside a user namespace.
#include "runner/sandbox/id_mapping.h"

#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::testing::HasSubstr;

TEST(IdMappingTest, SubordinateRangeByNumberAndSkipsBadLines) {
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir dir, base::ScopedTempDir::Create("idmap-test-"));
  std::string file = dir.path() + "/subuid";
  ASSERT_THAT(base::Env::Default()->WriteFileAtomically(
                  file, "nobody-else:1:2\n4242:300000\n4242:x:10\n4242:200000:65536\n"),
              base_testing::IsOk());
  std::optional<IdMapping> m = SubordinateRange(file, 4242);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->container_id, 1u);
  EXPECT_EQ(m->host_id, 200000u);
  EXPECT_EQ(m->size, 65536u);
  EXPECT_FALSE(SubordinateRange(file, 4343).has_value());
  EXPECT_FALSE(SubordinateRange(dir.path() + "/missing", 4242).has_value());
}

TEST(IdMappingTest, KeyAndMembership) {
  IdMappings m{{{0, 1001, 1}, {1, 100000, 65536}}, {{0, 1001, 1}}};
  EXPECT_TRUE(m.ranged());
  EXPECT_TRUE(m.MapsUid(0));
  EXPECT_TRUE(m.MapsUid(65536));
  EXPECT_FALSE(m.MapsUid(65537));
  EXPECT_FALSE(m.MapsGid(1));
  // Safe in an overlayfs lowerdir option: no `:` or `,`.
  EXPECT_EQ(m.Key(), "u_0-1001-1_1-100000-65536_g_0-1001-1");
  EXPECT_FALSE(IdMappings({{{0, 1001, 1}}, {{0, 1001, 1}}}).ranged());
}

// Whether this process may create user namespaces (not in a chroot, for one).
bool CanCreateUserNamespaces() {
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

TEST(IdMappingTest, RunsAsRootOfANamespaceWithTheMappings) {
  if (geteuid() != 0) GTEST_SKIP() << "writing a ranged map without newuidmap needs root";
  if (!CanCreateUserNamespaces()) GTEST_SKIP() << "no user namespaces here (a chroot?)";
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir dir, base::ScopedTempDir::Create("idmap-test-"));
  std::string file = dir.path() + "/owned";
  ASSERT_THAT(base::Env::Default()->WriteFileAtomically(file, "x"), base_testing::IsOk());
  chmod(dir.path().c_str(), 0777);
  IdMappings m{{{0, 0, 1}, {1, 300000, 1000}}, {{0, 0, 1}, {1, 300000, 1000}}};
  // Inside, container id 7 is host id 300006.
  ASSERT_THAT(RunInUserNamespace(m, [&] {
                return chown(file.c_str(), 7, 7) == 0 ? absl::OkStatus()
                                                      : base::ErrnoError(errno, "chown");
              }),
              base_testing::IsOk());
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 300006u);
  EXPECT_EQ(st.st_gid, 300006u);
  // Ids outside the mapping cannot be used there; the error comes back.
  absl::Status s = RunInUserNamespace(m, [&] {
    return chown(file.c_str(), 5000, 5000) == 0 ? absl::OkStatus()
                                                : base::ErrnoError(errno, "chown to 5000");
  });
  EXPECT_THAT(std::string(s.message()), HasSubstr("chown to 5000"));
}

}  // namespace
}  // namespace runner
