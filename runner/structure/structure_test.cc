// Unit tests of the structure-test checks that need no container: spec parsing and validation,
// output/metadata/file checks (files on a temp dir, with a symlink that tries to leave the root),
// and the JUnit/JSON reports. The end-to-end run is in testdata/runner/integration_test.sh.
#include "runner/structure/structure.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace runner {
namespace structure {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(StructureSpecTest, ParsesEveryKindAndNamesUnnamedTests) {
  ASSERT_OK_AND_ASSIGN(StructureTestSpec spec, ParseSpec(R"pb(
    command_tests { command: "echo" args: "hi" expected_output: "^hi" exit_code: 0 }
    file_existence_tests { name: "sh" path: "/bin/sh" should_exist: false uid: 0 }
    file_content_tests { name: "passwd" path: "/etc/passwd" excluded_contents: "evil" }
    metadata_test { env { key: "A" value: "b" } entrypoint {} workdir: "" }
  )pb", "spec.textproto"));
  EXPECT_EQ(spec.command_tests(0).name(), "command #1");
  EXPECT_TRUE(spec.file_existence_tests(0).has_should_exist());
  EXPECT_FALSE(spec.file_existence_tests(0).should_exist());
  EXPECT_TRUE(spec.file_existence_tests(0).has_uid());
  EXPECT_FALSE(spec.file_existence_tests(0).has_gid());
  EXPECT_TRUE(spec.metadata_test().has_entrypoint());
  EXPECT_FALSE(spec.metadata_test().has_cmd());
  EXPECT_TRUE(spec.metadata_test().has_workdir());
}

TEST(StructureSpecTest, RejectsBadSpecsWithLocation) {
  EXPECT_THAT(ParseSpec("command_tests { nme: \"x\" }", "s.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.textproto:1:")));
  EXPECT_THAT(ParseSpec("command_tests { name: \"t\" }", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`command` is empty")));
  EXPECT_THAT(ParseSpec("command_tests { name: \"t\" command: \"x\" expected_output: \"(\" }", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid regex `(`")));
  EXPECT_THAT(ParseSpec("file_existence_tests { name: \"f\" path: \"etc\" }", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be absolute")));
  EXPECT_THAT(ParseSpec("file_existence_tests { path: \"/x\" permissions: \"rwx\" }", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("10 characters")));
  EXPECT_THAT(ParseSpec("", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no tests")));
}

TEST(StructureCheckTest, PermissionStringLikeLs) {
  EXPECT_EQ(PermissionString(S_IFREG | 0755), "-rwxr-xr-x");
  EXPECT_EQ(PermissionString(S_IFDIR | 01777), "drwxrwxrwt");
  EXPECT_EQ(PermissionString(S_IFDIR | 01776), "drwxrwxrwT");
  EXPECT_EQ(PermissionString(S_IFREG | 04755), "-rwsr-xr-x");
  EXPECT_EQ(PermissionString(S_IFREG | 02644), "-rw-r-Sr--");
  EXPECT_EQ(PermissionString(S_IFLNK | 0777), "lrwxrwxrwx");
  EXPECT_EQ(PermissionString(S_IFCHR | 0666), "crw-rw-rw-");
}

TEST(StructureCheckTest, CommandOutputAndExitStatus) {
  CommandTest t;
  t.set_exit_code(3);
  t.add_expected_output("^hello\n");
  t.add_expected_output("wor.d");
  t.add_excluded_output("error");
  EXPECT_THAT(CheckCommandOutput(t, "hello\nworld\n", 3), IsEmpty());
  EXPECT_THAT(CheckCommandOutput(t, "hello\nworld\n", 0), ElementsAre("exit status 0, expected 3"));
  EXPECT_THAT(CheckCommandOutput(t, "say hello\nerror\n", 3),
              ElementsAre("expected output to match `^hello\n`",
                          "expected output to match `wor.d`",
                          "output matches the excluded `error`"));
}

TEST(StructureCheckTest, Metadata) {
  oci::ContainerConfig c;
  c.env = {"PATH=/bin", "A=1"};
  c.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  c.working_dir = "/app";
  c.exposed_ports = {"8080/tcp", "53/udp"};
  c.labels = {{"org.x", "y"}};
  c.user = "app";
  MetadataTest m;
  auto* e = m.add_env();
  e->set_key("A");
  e->set_value("1");
  m.mutable_entrypoint()->add_args("/bin/sh");
  m.mutable_entrypoint()->add_args("-c");
  m.mutable_cmd();  // no CMD
  m.set_workdir("/app");
  m.add_exposed_ports("8080");
  m.add_exposed_ports("53/udp");
  m.add_unexposed_ports("22");
  auto* l = m.add_labels();
  l->set_key("org.x");
  l->set_value("y");
  m.set_user("app");
  EXPECT_THAT(CheckMetadata(m, c), IsEmpty());

  MetadataTest bad;
  e = bad.add_env();
  e->set_key("A");
  e->set_value("2");
  e = bad.add_env();
  e->set_key("MISSING");
  bad.mutable_cmd()->add_args("sh");
  bad.set_workdir("/");
  bad.add_exposed_ports("22");
  bad.add_unexposed_ports("8080/tcp");
  l = bad.add_labels();
  l->set_key("org.x");
  l->set_value("z");
  bad.set_user("root");
  EXPECT_THAT(CheckMetadata(bad, c),
              ElementsAre("env `A=1`, expected `A=2`", "env `MISSING` is not set",
                          "cmd is [], expected [\"sh\"]", "workdir is \"/app\", expected \"/\"",
                          "port 22/tcp is not exposed", "port 8080/tcp is exposed but should not be",
                          "label `org.x` is \"y\", expected \"z\"",
                          "user is \"app\", expected \"root\""));
}

class FileCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, base::ScopedTempDir::Create("structure-test-"));
    base::Env* env = base::Env::Default();
    root_ = dir_.path() + "/root";
    ASSERT_OK(env->CreateDirs(root_ + "/bin"));
    ASSERT_OK(env->CreateDirs(root_ + "/etc"));
    ASSERT_OK(env->WriteFileAtomically(root_ + "/bin/tool", "#!/bin/sh\n", 0755));
    ASSERT_OK(env->WriteFileAtomically(root_ + "/etc/conf", "mode=prod\n", 0640));
    // Absolute and relative links that would leave the root if followed on the host.
    ASSERT_OK(env->WriteFileAtomically(dir_.path() + "/secret", "host-secret\n", 0644));
    ASSERT_EQ(symlink((dir_.path() + "/secret").c_str(), (root_ + "/etc/abs").c_str()), 0);
    ASSERT_EQ(symlink("../../secret", (root_ + "/etc/rel").c_str()), 0);
    ASSERT_EQ(symlink("/bin/tool", (root_ + "/bin/link").c_str()), 0);
    fd_ = base::ScopedFd(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }
  base::ScopedTempDir dir_ = base::ScopedTempDir::Create("unused-").value();
  std::string root_;
  base::ScopedFd fd_;
};

TEST_F(FileCheckTest, Existence) {
  FileExistenceTest t;
  t.set_path("/bin/tool");
  t.set_permissions("-rwxr-xr-x");
  t.set_uid(geteuid());
  t.set_gid(getegid());
  EXPECT_THAT(CheckFileExistence(t, fd_.get()), IsEmpty());
  t.set_path("/bin/link");  // followed inside the root
  EXPECT_THAT(CheckFileExistence(t, fd_.get()), IsEmpty());
  t.set_permissions("-rw-r--r--");
  t.set_uid(geteuid() + 1);
  EXPECT_THAT(CheckFileExistence(t, fd_.get()),
              ElementsAre("`/bin/link` has permissions -rwxr-xr-x, expected -rw-r--r--",
                          HasSubstr("is owned by uid")));
  FileExistenceTest missing;
  missing.set_path("/nope");
  EXPECT_THAT(CheckFileExistence(missing, fd_.get()), ElementsAre("`/nope` does not exist"));
  missing.set_should_exist(false);
  EXPECT_THAT(CheckFileExistence(missing, fd_.get()), IsEmpty());
  FileExistenceTest present;
  present.set_path("/etc/conf");
  present.set_should_exist(false);
  EXPECT_THAT(CheckFileExistence(present, fd_.get()),
              ElementsAre("`/etc/conf` exists but should not"));
}

TEST_F(FileCheckTest, SymlinksCannotLeaveTheRoot) {
  for (const char* path : {"/etc/abs", "/etc/rel"}) {
    FileExistenceTest t;
    t.set_path(path);
    t.set_should_exist(false);  // dangling inside the root
    EXPECT_THAT(CheckFileExistence(t, fd_.get()), IsEmpty()) << path;
    FileContentTest c;
    c.set_path(path);
    c.add_excluded_contents("host-secret");
    EXPECT_THAT(CheckFileContent(c, fd_.get()), ElementsAre(HasSubstr("No such file"))) << path;
  }
}

TEST_F(FileCheckTest, Content) {
  FileContentTest t;
  t.set_path("/etc/conf");
  t.add_expected_contents("^mode=prod\n$");
  t.add_excluded_contents("debug");
  EXPECT_THAT(CheckFileContent(t, fd_.get()), IsEmpty());
  t.add_expected_contents("mode=dev");
  t.add_excluded_contents("prod");
  EXPECT_THAT(CheckFileContent(t, fd_.get()),
              ElementsAre("expected contents of `/etc/conf` to match `mode=dev`",
                          "contents of `/etc/conf` matches the excluded `prod`"));
  t.set_path("/bin");
  EXPECT_THAT(CheckFileContent(t, fd_.get()), ElementsAre(HasSubstr("not a regular file")));
}

TEST(StructureReportTest, JunitEscapesAndCounts) {
  std::vector<TestResult> results(2);
  results[0] = {"command", "a<b", true, {}, "out & \x01 more", 0.5};
  results[1] = {"metadata", "metadata", false, {"user is \"x\"", "second"}, "", 0};
  std::string xml = JunitXml(results, "oci:img");
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"oci:img\" tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("name=\"a&lt;b\""));
  EXPECT_THAT(xml, HasSubstr("<system-out>out &amp; ? more</system-out>"));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"user is &quot;x&quot;\" type=\"failure\">"
                             "user is &quot;x&quot;\nsecond</failure>"));
  nlohmann::json j = nlohmann::json::parse(ResultsJson(results, "oci:img"));
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_THAT(j["tests"], SizeIs(2));
  EXPECT_EQ(j["tests"][1]["failures"][1], "second");
}

}  // namespace
}  // namespace structure
}  // namespace runner
