#include "pusher/auth/credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir d, base::ScopedTempDir::Create("creds-"));
    dir_.emplace(std::move(d));
  }
  std::string dir() const { return dir_->path(); }
  void Write(const std::string& json) {
    ASSERT_OK(base::Env::Default()->WriteFileAtomically(dir() + "/config.json", json, 0600));
  }
  std::optional<base::ScopedTempDir> dir_;
};

TEST_F(CredentialsTest, ReadsAuthAndIdentityToken) {
  // "alice:pa:ss" -> colon inside the password is kept.
  Write(R"({"auths":{"https://index.docker.io/v1/":{"auth":"YWxpY2U6cGE6c3M="},
            "localhost:5000":{"identitytoken":"idtok"}}})");
  ASSERT_OK_AND_ASSIGN(CredentialStore store, CredentialStore::Load(dir()));
  ASSERT_OK_AND_ASSIGN(Credential hub, store.Get("docker.io"));
  EXPECT_EQ(hub.username, "alice");
  EXPECT_EQ(hub.password, "pa:ss");
  ASSERT_OK_AND_ASSIGN(Credential local, store.Get("localhost:5000"));
  EXPECT_EQ(local.identity_token, "idtok");
  ASSERT_OK_AND_ASSIGN(Credential none, store.Get("other:1"));
  EXPECT_TRUE(none.empty());
}

TEST_F(CredentialsTest, MissingFileMeansNoCredentials) {
  ASSERT_OK_AND_ASSIGN(CredentialStore store, CredentialStore::Load(dir() + "/nope"));
  ASSERT_OK_AND_ASSIGN(Credential c, store.Get("docker.io"));
  EXPECT_TRUE(c.empty());
}

TEST_F(CredentialsTest, MalformedFileIsAnError) {
  Write("[1,2");
  EXPECT_THAT(CredentialStore::Load(dir()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.json")));
}

TEST_F(CredentialsTest, StoreKeepsUnknownKeysAndIs0600) {
  Write(R"({"auths":{"https://r.test:5000/v1/":{"auth":"b2xkOm9sZA==","email":"x@y"}},"proxies":{"default":{}},"psFormat":"t"})");
  ASSERT_OK_AND_ASSIGN(CredentialStore store, CredentialStore::Load(dir()));
  ASSERT_OK(store.Store("r.test:5000", Credential{"new", "pw", ""}));
  ASSERT_OK_AND_ASSIGN(std::string text,
                       base::Env::Default()->ReadFile(dir() + "/config.json"));
  EXPECT_THAT(text, HasSubstr("\"proxies\""));
  EXPECT_THAT(text, HasSubstr("\"psFormat\""));
  EXPECT_THAT(text, HasSubstr("\"email\""));
  EXPECT_THAT(text, Not(HasSubstr("b2xkOm9sZA==")));
  struct stat st;
  ASSERT_EQ(stat((dir() + "/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_OK_AND_ASSIGN(CredentialStore again, CredentialStore::Load(dir()));
  ASSERT_OK_AND_ASSIGN(Credential c, again.Get("r.test:5000"));
  EXPECT_EQ(c.username, "new");
  EXPECT_EQ(c.password, "pw");

  ASSERT_OK(again.Erase("r.test:5000"));
  ASSERT_OK_AND_ASSIGN(CredentialStore erased, CredentialStore::Load(dir()));
  ASSERT_OK_AND_ASSIGN(Credential gone, erased.Get("r.test:5000"));
  EXPECT_TRUE(gone.empty());
  EXPECT_THAT(erased.Erase("r.test:5000"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("not logged in")));
}

TEST_F(CredentialsTest, UsesCredentialHelpers) {
  // A helper that answers `get` for one server and fails otherwise.
  std::string bin = dir() + "/bin";
  ASSERT_OK(base::Env::Default()->CreateDirs(bin));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      bin + "/docker-credential-fake",
      "#!/bin/sh\nread server\nif [ \"$1\" = get ] && [ \"$server\" = helped.test ]; then\n"
      "  echo '{\"ServerURL\":\"helped.test\",\"Username\":\"hu\",\"Secret\":\"hs\"}'; exit 0; fi\n"
      "if [ \"$1\" = get ]; then echo 'credentials not found in native keychain'; exit 1; fi\n"
      "exit 3\n",
      0755));
  std::string old_path = getenv("PATH");
  setenv("PATH", (bin + ":" + old_path).c_str(), 1);
  Write(R"({"credHelpers":{"helped.test":"fake"},"auths":{"plain.test":{"auth":"dTpw"}}})");
  ASSERT_OK_AND_ASSIGN(CredentialStore store, CredentialStore::Load(dir()));
  ASSERT_OK_AND_ASSIGN(Credential c, store.Get("helped.test"));
  EXPECT_EQ(c.username, "hu");
  EXPECT_EQ(c.password, "hs");
  ASSERT_OK_AND_ASSIGN(Credential p, store.Get("plain.test"));
  EXPECT_EQ(p.username, "u");

  Write(R"({"credsStore":"fake"})");
  ASSERT_OK_AND_ASSIGN(CredentialStore store2, CredentialStore::Load(dir()));
  ASSERT_OK_AND_ASSIGN(Credential none, store2.Get("elsewhere.test"));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(store2.Store("elsewhere.test", Credential{"a", "b", ""}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("exited with status 3")));
  setenv("PATH", old_path.c_str(), 1);
}

}  // namespace
}  // namespace pusher
