// The registry verbs of the `slipway` binary against real registries, with skopeo as the peer:
// skopeo reads what we push and we pull what skopeo pushed; login checks and stores credentials;
// no password or token ever appears in any output; --notify posts the push event.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/registry/registry_server.h"

namespace registry_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CmdResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<base::ScopedTempDir> d = base::ScopedTempDir::Create("cli-reg-");
    ASSERT_TRUE(d.ok());
    tmp_.emplace(std::move(*d));
    const char* srcdir = std::getenv("TEST_SRCDIR");
    slipway_ = absl::StrCat(srcdir ? srcdir : ".", "/slipway/tools/slipway");
    env_ = absl::StrCat("HOME=", tmp_->path(), " DOCKER_CONFIG=", tmp_->path(), "/docker",
                        " XDG_DATA_HOME=", tmp_->path(), "/data XDG_CONFIG_HOME=",
                        tmp_->path(), "/config ");
    // A small image made by umoci (a real rootfs layer with busybox).
    std::string img = tmp_->path() + "/img";
    ASSERT_EQ(Sh(absl::StrCat("umoci init --layout ", img, " && umoci new --image ", img,
                              ":v1 && mkdir -p ", tmp_->path(), "/rootfs/bin && cp /bin/busybox ",
                              tmp_->path(), "/rootfs/bin/ && umoci insert --image ", img, ":v1 ",
                              tmp_->path(), "/rootfs/bin /bin"))
                  .status,
              0);
  }
  CmdResult Sh(const std::string& cmd, const std::string& stdin_text = "") {
    std::string full = absl::StrCat("cd ", tmp_->path(), " && ", cmd, " 2>&1");
    if (!stdin_text.empty()) {
      std::string in = tmp_->path() + "/stdin";
      (void)base::Env::Default()->WriteFileAtomically(in, stdin_text, 0600);
      full = absl::StrCat("cd ", tmp_->path(), " && (", cmd, ") < ", in, " 2>&1");
    }
    CmdResult r;
    FILE* p = popen(full.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    all_output_ += r.out;
    return r;
  }
  CmdResult Slipway(const std::string& args, const std::string& stdin_text = "") {
    return Sh(absl::StrCat(env_, slipway_, " ", args), stdin_text);
  }
  static std::string LastLine(const std::string& s) {
    std::string t(absl::StripTrailingAsciiWhitespace(s));
    size_t nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::string slipway_;
  std::string env_;
  std::string all_output_;
};

TEST_F(CliTest, PlainRegistryWithSkopeo) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  const std::string h = reg->host();
  CmdResult push = Slipway(absl::StrCat("push --progress plain oci:img:v1 ", h, "/cli/app:1"));
  ASSERT_EQ(push.status, 0) << push.out;
  const std::string digest = LastLine(push.out);
  ASSERT_TRUE(absl::StartsWith(digest, "sha256:")) << push.out;

  // skopeo reads what we pushed, and copies it out.
  CmdResult inspect = Sh(absl::StrCat("skopeo inspect --tls-verify=false docker://", h, "/cli/app:1"));
  ASSERT_EQ(inspect.status, 0) << inspect.out;
  EXPECT_THAT(inspect.out, HasSubstr(digest));
  CmdResult config = Sh(absl::StrCat("skopeo inspect --config --tls-verify=false docker://", h, "/cli/app:1"));
  ASSERT_EQ(config.status, 0) << config.out;
  EXPECT_THAT(config.out, HasSubstr("\"architecture\""));
  ASSERT_EQ(Sh(absl::StrCat("skopeo copy -q --src-tls-verify=false docker://", h,
                            "/cli/app:1 oci:skout:1")).status, 0);

  // Re-push moves nothing.
  CmdResult again = Slipway(absl::StrCat("push --progress plain oci:img:v1 ", h, "/cli/app:1"));
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("0 blobs uploaded"));

  // We pull what skopeo pushed.
  ASSERT_EQ(Sh(absl::StrCat("skopeo copy -q --dest-tls-verify=false oci:img:v1 docker://", h,
                            "/cli/fromskopeo:2")).status, 0);
  CmdResult pull = Slipway(absl::StrCat("pull --progress plain -o oci:pulled:x ", h, "/cli/fromskopeo:2"));
  ASSERT_EQ(pull.status, 0) << pull.out;
  EXPECT_EQ(LastLine(pull.out), digest);
  EXPECT_EQ(Sh("umoci unpack --image pulled:x bundle >/dev/null && test -x bundle/rootfs/bin/busybox").status, 0);

  // tags, catalog, digest, copy (promotion mounts).
  CmdResult tags = Slipway(absl::StrCat("tags ", h, "/cli/app"));
  EXPECT_EQ(tags.out, "1\n");
  CmdResult catalog = Slipway(absl::StrCat("catalog ", h));
  EXPECT_THAT(catalog.out, HasSubstr("cli/app\n"));
  EXPECT_THAT(catalog.out, HasSubstr("cli/fromskopeo\n"));
  EXPECT_EQ(LastLine(Slipway(absl::StrCat("digest ", h, "/cli/app:1")).out), digest);
  CmdResult copy = Slipway(absl::StrCat("copy --progress plain ", h, "/cli/app:1 ", h, "/prod/app:1"));
  ASSERT_EQ(copy.status, 0) << copy.out;
  EXPECT_THAT(copy.out, HasSubstr("2 mounted"));
  EXPECT_EQ(Slipway(absl::StrCat("digest ", h, "/nope:1")).status, 1);
}

// Accepts one HTTP request on 127.0.0.1 and answers 204; returns the request text.
class NotifySink {
 public:
  NotifySink() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[8192];
      while (got_.find("\r\n\r\n") == std::string::npos ||
             got_.find("}") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        got_.append(buf, n);
      }
      const char reply[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
      (void)!write(c, reply, sizeof(reply) - 1);
      close(c);
    });
  }
  ~NotifySink() {
    shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string Take() {
    thread_.join();
    return got_;
  }

 private:
  int fd_;
  int port_;
  std::thread thread_;
  std::string got_;
};

TEST_F(CliTest, BasicTlsLoginNotifyAndNoSecretsInOutput) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kBasicTls));
  const std::string h = reg->host();
  // Docker's certs.d layout under $DOCKER_CONFIG.
  ASSERT_EQ(Sh(absl::StrCat("mkdir -p docker/certs.d && cp -r ", reg->certs_dir(), "/* docker/certs.d/")).status, 0);

  CmdResult bad = Slipway(absl::StrCat("login -u ", reg->username(), " --password-stdin ", h),
                    "not-the-Pa55word\n");
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("401"));
  EXPECT_FALSE(base::Env::Default()->Exists(tmp_->path() + "/docker/config.json"));

  CmdResult login = Slipway(absl::StrCat("login -u ", reg->username(), " --password-stdin ", h),
                      reg->password() + "\n");
  ASSERT_EQ(login.status, 0) << login.out;
  EXPECT_THAT(login.out, HasSubstr("Login Succeeded"));
  struct stat st;
  ASSERT_EQ(stat((tmp_->path() + "/docker/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  NotifySink sink;
  CmdResult push = Slipway(absl::StrCat("push --progress plain --notify http://127.0.0.1:", sink.port(),
                                  "/hook oci:img:v1 ", h, "/sec/app:7"));
  ASSERT_EQ(push.status, 0) << push.out;
  std::string event = sink.Take();
  EXPECT_THAT(event, HasSubstr("POST /hook"));
  EXPECT_THAT(event, HasSubstr(absl::StrCat("\"repository\":\"", h, "/sec/app\"")));
  EXPECT_THAT(event, HasSubstr("\"tag\":\"7\""));
  EXPECT_THAT(event, HasSubstr(absl::StrCat("\"digest\":\"", LastLine(push.out), "\"")));

  ASSERT_EQ(Sh(absl::StrCat("skopeo inspect --creds ", reg->username(), ":", reg->password(),
                            " --cert-dir docker/certs.d/", h, " docker://", h, "/sec/app:7"))
                .status,
            0);
  all_output_.clear();  // the skopeo command line above holds the password on purpose
  CmdResult pull = Slipway(absl::StrCat("pull --progress plain -o oci:p ", h, "/sec/app:7"));
  EXPECT_EQ(pull.status, 0) << pull.out;
  CmdResult denied = Slipway(absl::StrCat("pull --progress plain -o oci:q ", h, "/sec/none:1"));
  EXPECT_EQ(denied.status, 1) << denied.out;

  CmdResult logout = Slipway(absl::StrCat("logout ", h));
  EXPECT_EQ(logout.status, 0) << logout.out;
  CmdResult anon = Slipway(absl::StrCat("pull --progress plain -o oci:r ", h, "/sec/app:7"));
  EXPECT_EQ(anon.status, 1) << anon.out;
  EXPECT_THAT(anon.out, HasSubstr("401"));

  EXPECT_THAT(all_output_, Not(HasSubstr(reg->password())));
  EXPECT_THAT(all_output_, Not(HasSubstr("not-the-Pa55word")));
}

TEST_F(CliTest, TokenRegistryNeverPrintsTokens) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kToken));
  const std::string h = reg->host();
  CmdResult login = Slipway(absl::StrCat("login -u ", reg->username(), " --password-stdin ", h),
                      reg->password() + "\n");
  ASSERT_EQ(login.status, 0) << login.out;
  CmdResult push = Slipway(absl::StrCat("push --progress plain oci:img:v1 ", h, "/tok/app:1"));
  ASSERT_EQ(push.status, 0) << push.out;
  CmdResult tags = Slipway(absl::StrCat("tags ", h, "/tok/app"));
  EXPECT_EQ(tags.out, "1\n");
  EXPECT_THAT(all_output_, Not(HasSubstr(reg->password())));
  EXPECT_THAT(all_output_, Not(HasSubstr("eyJ")));  // no JWT (base64 '{"') anywhere
  CmdResult logout = Slipway(absl::StrCat("logout ", h));
  EXPECT_EQ(logout.status, 0) << logout.out;
  EXPECT_EQ(Slipway(absl::StrCat("logout ", h)).status, 1);
}

}  // namespace
}  // namespace registry_testing
