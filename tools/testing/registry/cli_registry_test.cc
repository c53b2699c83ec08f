// The registry verbs of the `slipway` binary against real registries, with skopeo as the peer:
// skopeo reads what we push and we pull what skopeo pushed; login checks and stores credentials;
// no password or token ever appears in any output; --notify posts the push event. `run` and
// `test` read registry references (pulled into the local store, digest pinned, mirrors and
// credentials as for pull).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
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

// `docker save` tarballs (made by skopeo, the peer) as the source of push and copy: the config
// bytes are kept, so skopeo sees the same image ID (config digest) in the registry.
TEST_F(CliTest, PushAndCopyFromDockerArchive) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  const std::string h = reg->host();
  ASSERT_EQ(Sh("skopeo copy -q oci:img:v1 docker-archive:img.tar:arch/app:5").status, 0);
  CmdResult config = Sh("skopeo inspect --config docker-archive:img.tar");
  ASSERT_EQ(config.status, 0) << config.out;

  CmdResult push = Slipway(absl::StrCat("push --progress plain docker-archive:img.tar ", h,
                                        "/arch/app:5"));
  ASSERT_EQ(push.status, 0) << push.out;
  const std::string digest = LastLine(push.out);
  ASSERT_TRUE(absl::StartsWith(digest, "sha256:")) << push.out;
  CmdResult inspect = Sh(absl::StrCat("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://",
                                      h, "/arch/app:5"));
  EXPECT_EQ(LastLine(inspect.out), digest);
  CmdResult remote_config =
      Sh(absl::StrCat("skopeo inspect --config --tls-verify=false docker://", h, "/arch/app:5"));
  EXPECT_EQ(remote_config.out, config.out);  // same config bytes: same image ID
  // skopeo can copy everything back out (every blob verified).
  EXPECT_EQ(Sh(absl::StrCat("skopeo copy -q --src-tls-verify=false docker://", h,
                            "/arch/app:5 oci:back:1")).status, 0);

  // copy into an oci: folder gives the same manifest digest; a second push moves nothing.
  CmdResult copy = Slipway("copy --progress plain docker-archive:img.tar oci:fromarch:1");
  ASSERT_EQ(copy.status, 0) << copy.out;
  EXPECT_EQ(LastLine(copy.out), digest);
  CmdResult again = Slipway(absl::StrCat("push --progress plain docker-archive:img.tar ", h,
                                         "/arch/app:5"));
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("0 blobs uploaded"));
  // A file that is not an archive is the user's error, named.
  ASSERT_EQ(Sh("echo nope > bad.tar").status, 0);
  CmdResult bad = Slipway(absl::StrCat("push docker-archive:bad.tar ", h, "/arch/bad:1"));
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.out, HasSubstr("bad.tar"));
}

// `copy … docker-archive:FILE[:REF]` and `pull -o docker-archive:…` write what `save` writes
// (byte for byte), and skopeo, the peer, reads and copies it.
TEST_F(CliTest, CopyAndPullWriteDockerArchives) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  const std::string h = reg->host();
  CmdResult push = Slipway(absl::StrCat("push --progress plain oci:img:v1 ", h, "/arch/app:1"));
  ASSERT_EQ(push.status, 0) << push.out;
  const std::string digest = LastLine(push.out);

  CmdResult save = Slipway("save -o save.tar --repo-tag arch/app:1 oci:img:v1");
  ASSERT_EQ(save.status, 0) << save.out;
  CmdResult copy = Slipway("copy --progress plain oci:img:v1 docker-archive:copy.tar:arch/app:1");
  ASSERT_EQ(copy.status, 0) << copy.out;
  EXPECT_EQ(LastLine(copy.out), digest);
  EXPECT_THAT(copy.out, HasSubstr("docker-archive:copy.tar:arch/app:1"));
  EXPECT_EQ(Sh("cmp save.tar copy.tar").status, 0);
  CmdResult pull = Slipway(absl::StrCat("pull --progress plain -o docker-archive:pull.tar:arch/app:1 ",
                                        h, "/arch/app:1"));
  ASSERT_EQ(pull.status, 0) << pull.out;
  EXPECT_EQ(LastLine(pull.out), digest);
  EXPECT_EQ(Sh("cmp save.tar pull.tar").status, 0);
  CmdResult from_registry = Slipway(absl::StrCat("copy --progress plain ", h,
                                                 "/arch/app:1 docker-archive:reg.tar:arch/app:1"));
  ASSERT_EQ(from_registry.status, 0) << from_registry.out;
  EXPECT_EQ(Sh("cmp save.tar reg.tar").status, 0);

  // skopeo reads it: the same config (image ID) as the source, its name, and a full copy out.
  CmdResult want_config = Sh("skopeo inspect --config oci:img:v1");
  ASSERT_EQ(want_config.status, 0) << want_config.out;
  CmdResult config = Sh("skopeo inspect --config docker-archive:copy.tar");
  ASSERT_EQ(config.status, 0) << config.out;
  EXPECT_EQ(config.out, want_config.out);
  // skopeo finds the image by the name REF gave it (and by no other).
  CmdResult named = Sh("skopeo inspect --config docker-archive:pull.tar:arch/app:1");
  ASSERT_EQ(named.status, 0) << named.out;
  EXPECT_EQ(named.out, want_config.out);
  EXPECT_NE(Sh("skopeo inspect docker-archive:pull.tar:arch/other:1").status, 0);
  ASSERT_EQ(Sh("skopeo copy -q docker-archive:copy.tar oci:skout:1").status, 0);
  CmdResult skout = Sh("skopeo inspect --config oci:skout:1");
  EXPECT_EQ(skout.out, want_config.out);

  // An archive holds one image: --all-platforms into one is a usage error, and nothing is written.
  CmdResult all = Slipway(absl::StrCat("pull --all-platforms -o docker-archive:all.tar ", h,
                                       "/arch/app:1"));
  EXPECT_EQ(all.status, 2) << all.out;
  EXPECT_NE(Sh("test -e all.tar").status, 0);
}

class CliRunTest : public CliTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "run needs root (namespaces)";
    CliTest::SetUp();
    ASSERT_EQ(Sh("mkdir -p bbroot/bin && cp /bin/busybox bbroot/bin/ && ln -s busybox bbroot/bin/sh "
                 "&& ln -s busybox bbroot/bin/echo && ln -s busybox bbroot/bin/cat").status, 0);
    CmdResult img = Slipway("image --layer-dir bbroot --env PATH=/bin --cmd sh -t oci:bb:1");
    ASSERT_EQ(img.status, 0) << img.out;
    ASSERT_TRUE(base::Env::Default()
                    ->WriteFileAtomically(tmp_->path() + "/spec.textproto", R"(
command_tests { name: "echo" command: "echo" args: "hi" expected_output: "^hi\n$" }
file_existence_tests { name: "busybox" path: "/bin/busybox" }
metadata_test { env { key: "PATH" value: "/bin" } cmd { args: "sh" } }
)", 0644)
                    .ok());
  }
  std::string Read(const std::string& name) {
    absl::StatusOr<std::string> s = base::Env::Default()->ReadFile(tmp_->path() + "/" + name);
    return s.ok() ? *s : "";
  }
  // stdout only (stderr goes to `err_file`).
  CmdResult SlipwaySplit(const std::string& args, const std::string& err_file) {
    return Sh(absl::StrCat("(", env_, slipway_, " ", args, " 2>", err_file, ")"));
  }
};

TEST_F(CliRunTest, RunAndTestPullRegistryImagesByDigestAndTag) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  const std::string h = reg->host();
  CmdResult push = Slipway(absl::StrCat("push --progress plain oci:bb:1 ", h, "/busybox:1"));
  ASSERT_EQ(push.status, 0) << push.out;
  const std::string digest = LastLine(push.out);
  ASSERT_TRUE(absl::StartsWith(digest, "sha256:")) << push.out;
  const std::string by_digest = absl::StrCat(h, "/busybox@", digest);

  // Not in the local store yet, and --pull never forbids the registry.
  CmdResult never = Slipway(absl::StrCat("run --rm --pull never ", by_digest, " echo hi"));
  EXPECT_EQ(never.status, 125) << never.out;
  EXPECT_THAT(never.out, HasSubstr("not in the local store"));

  // By digest: pulled (progress on stderr only), then run; stdout is the container's alone.
  CmdResult run = SlipwaySplit(absl::StrCat("run --rm ", by_digest, " echo hi"), "run.err");
  EXPECT_EQ(run.status, 0) << Read("run.err");
  EXPECT_EQ(run.out, "hi\n");
  EXPECT_THAT(Read("run.err"), HasSubstr(absl::StrCat("pulled ", by_digest, " from ", h)));
  EXPECT_THAT(Read("run.err"), HasSubstr("2 blobs downloaded"));

  // Kept in the local store under the digest reference: runs again with no registry at all.
  reg.reset();
  CmdResult again = SlipwaySplit(absl::StrCat("run --rm --pull never ", by_digest, " echo again"),
                                 "again.err");
  EXPECT_EQ(again.status, 0) << Read("again.err");
  EXPECT_EQ(again.out, "again\n");
  EXPECT_EQ(Read("again.err"), "");

  // By tag, with `test`: a fresh registry (the old one is gone) and a pull by tag.
  ASSERT_OK_AND_ASSIGN(auto reg2, RegistryServer::Start(Kind::kPlain));
  const std::string h2 = reg2->host();
  ASSERT_EQ(Slipway(absl::StrCat("push --progress plain oci:bb:1 ", h2, "/app:1")).status, 0);
  CmdResult test = SlipwaySplit(
      absl::StrCat("test ", h2, "/app:1 --spec spec.textproto --junit junit.xml"), "test.err");
  EXPECT_EQ(test.status, 0) << test.out << Read("test.err");
  EXPECT_THAT(test.out, HasSubstr("3 tests: 3 passed, 0 failed"));
  EXPECT_THAT(Read("test.err"), HasSubstr(absl::StrCat("pulled ", h2, "/app:1 from ", h2)));
  // The blobs were already in the local store: nothing downloaded but the manifest.
  EXPECT_THAT(Read("test.err"), HasSubstr("0 blobs downloaded"));
  EXPECT_THAT(Read("junit.xml"), HasSubstr("failures=\"0\""));
  // `test --json` by digest, already local: stdout is JSON only.
  CmdResult json = SlipwaySplit(
      absl::StrCat("test --json ", h2, "/app@", digest, " --spec spec.textproto"), "json.err");
  EXPECT_EQ(json.status, 0) << json.out << Read("json.err");
  EXPECT_TRUE(absl::StartsWith(json.out, "{")) << json.out;

  // A failing structure test against a registry image still exits 1.
  ASSERT_TRUE(base::Env::Default()
                  ->WriteFileAtomically(tmp_->path() + "/bad.textproto",
                                        "file_existence_tests { name: \"x\" path: \"/nope\" }\n",
                                        0644)
                  .ok());
  EXPECT_EQ(Slipway(absl::StrCat("test ", h2, "/app:1 --spec bad.textproto")).status, 1);

  // Unknown tag: slipway's failure (125) naming the registry's answer.
  CmdResult missing = Slipway(absl::StrCat("run --rm ", h2, "/app:nope true"));
  EXPECT_EQ(missing.status, 125) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("MANIFEST_UNKNOWN"));
  EXPECT_EQ(Slipway("run --rm --pull sometimes x true").status, 2);
}

TEST_F(CliRunTest, RunUsesCredentialsAndMirrors) {
  // TLS + basic auth: `login` once, then `run` pulls with the stored credentials.
  ASSERT_OK_AND_ASSIGN(auto tls, RegistryServer::Start(Kind::kBasicTls));
  const std::string h = tls->host();
  ASSERT_EQ(Sh(absl::StrCat("mkdir -p docker/certs.d && cp -r ", tls->certs_dir(),
                            "/* docker/certs.d/")).status, 0);
  ASSERT_EQ(Slipway(absl::StrCat("login -u ", tls->username(), " --password-stdin ", h),
                    tls->password() + "\n").status, 0);
  ASSERT_EQ(Slipway(absl::StrCat("push --progress plain oci:bb:1 ", h, "/sec/bb:1")).status, 0);
  CmdResult run = Slipway(absl::StrCat("run --rm ", h, "/sec/bb:1 echo tls"));
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("tls\n"));

  // A pull-through mirror configured for the upstream serves the pull, and the output says so.
  ASSERT_OK_AND_ASSIGN(auto mirror, RegistryServer::Start(Kind::kMirror));
  ASSERT_EQ(Slipway(absl::StrCat("push --progress plain oci:bb:1 ", mirror->upstream(),
                                 "/m/bb:1")).status, 0);
  ASSERT_TRUE(base::Env::Default()
                  ->WriteFileAtomically(
                      tmp_->path() + "/mirrors.json",
                      absl::StrCat(R"({"registries": {")", mirror->upstream(),
                                   R"(": {"registry-mirrors": ["http://)", mirror->host(),
                                   R"("]}}})"),
                      0644)
                  .ok());
  CmdResult via = Slipway(absl::StrCat("run --rm --config mirrors.json ", mirror->upstream(),
                                       "/m/bb:1 echo mirrored"));
  EXPECT_EQ(via.status, 0) << via.out;
  EXPECT_THAT(via.out, HasSubstr("mirrored\n"));
  EXPECT_THAT(via.out, HasSubstr(absl::StrCat("from http://", mirror->host(), " (mirror)")));
  EXPECT_THAT(all_output_, Not(HasSubstr(tls->password())));
}

// A registry that answers a manifest-by-digest request with other bytes: the digest is pinned, so
// `run` refuses the image and keeps nothing.
TEST_F(CliRunTest, RunRefusesAManifestThatDoesNotMatchTheDigest) {
  ASSERT_TRUE(base::Env::Default()
                  ->WriteFileAtomically(tmp_->path() + "/liar.py", R"(
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{}' if self.path == '/v2/' else b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:' + b'1' * 64 + b'","size":2},"layers":[]}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json' if self.path == '/v2/' else 'application/vnd.oci.image.manifest.v1+json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)", 0644)
                  .ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    if (chdir(tmp_->path().c_str()) == 0) execlp("python3", "python3", "liar.py", nullptr);
    _exit(127);
  }
  close(fds[1]);
  struct Reaper {  // the server dies with the test, whatever fails
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  FILE* server = fdopen(fds[0], "r");
  ASSERT_NE(server, nullptr);
  char line[32] = {0};
  ASSERT_NE(fgets(line, sizeof(line), server), nullptr);
  fclose(server);
  const std::string host = absl::StrCat("127.0.0.1:", absl::StripTrailingAsciiWhitespace(line));
  const std::string want = absl::StrCat("sha256:", std::string(64, 'a'));
  CmdResult run = Slipway(absl::StrCat("run --rm ", host, "/x@", want, " true"));
  EXPECT_EQ(run.status, 125) << run.out;
  EXPECT_THAT(run.out, HasSubstr("hashes to"));
  EXPECT_THAT(Read("data/slipway/index.json"), Not(HasSubstr(want)));
  CmdResult test = Slipway(absl::StrCat("test ", host, "/x@", want, " --spec spec.textproto"));
  EXPECT_NE(test.status, 0) << test.out;
  EXPECT_THAT(test.out, HasSubstr("hashes to"));
}

}  // namespace
}  // namespace registry_testing
