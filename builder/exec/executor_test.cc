// Builds the Dockerfiles in testdata/build against a busybox base image and checks the resulting
// images' files, configs and history, the cache, failures and reproducibility. RUN steps need
// root (namespaces, overlayfs), as CI has.
#include "builder/exec/executor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "builder/cache/cache.h"
#include "builder/exec/run.h"
#include "builder/source/image_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/layout.h"
#include "oci/media_types.h"
#include "oci/tar/layer_extractor.h"
#include "oci/tar/layer_writer.h"
#include "runner/testing/busybox_rootfs.h"

namespace builder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Testdata(const std::string& rel) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/slipway/testdata/build/", rel);
}

// Copies a runfiles tree (symlinks to sources) into `dst` as real files with random mtimes.
void CopyTree(const std::string& src, const std::string& dst, std::mt19937* rng) {
  base::Env* env = base::Env::Default();
  ASSERT_OK(env->CreateDirs(dst));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, env->ListDir(src));
  for (const std::string& n : names) {
    std::string s = src + "/" + n, d = dst + "/" + n;
    if (env->IsDirectory(s)) {
      CopyTree(s, d, rng);
      continue;
    }
    ASSERT_OK_AND_ASSIGN(std::string data, env->ReadFile(s));
    ASSERT_OK(env->WriteFileAtomically(d, data, 0644));
    struct timeval tv[2] = {{static_cast<time_t>((*rng)() % 2000000000), 0},
                            {static_cast<time_t>((*rng)() % 2000000000), 0}};
    ASSERT_EQ(utimes(d.c_str(), tv), 0);
  }
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "RUN needs root (namespaces and overlayfs)";
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir t, base::ScopedTempDir::Create("exec-"));
    tmp_holder_.emplace(std::move(t));
    setenv("XDG_DATA_HOME", (tmp_.path() + "/data").c_str(), 1);
    // The base image: busybox with passwd/group (root, app 1000, extra 2000), in the local store.
    std::string root = tmp_.path() + "/bbroot";
    ASSERT_OK(base::Env::Default()->CreateDirs(root));
    ASSERT_OK(runner_testing::MakeBusyboxRootfs(root));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> store,
                         oci::Layout::Open(oci::LocalStoreDir()));
    ASSERT_OK_AND_ASSIGN(std::vector<oci::LayerEntry> entries, oci::EntriesFromDirectory(root));
    oci::LayerWriterOptions lo;
    ASSERT_OK_AND_ASSIGN(oci::LayerResult layer, oci::WriteLayerToLayout(entries, lo, *store));
    oci::ImageConfig config;
    config.os = "linux";
    config.architecture = oci::Platform::Host().architecture;
    config.created = "1970-01-01T00:00:00Z";
    config.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    config.config.cmd = std::vector<std::string>{"sh"};
    config.diff_ids = {layer.diff_id};
    ASSERT_OK_AND_ASSIGN(oci::Descriptor m, oci::WriteImage(*store, config, {layer.descriptor},
                                                            oci::kOciManifest));
    ASSERT_OK(store->Tag(m, "base:latest"));
  }

  // Builds testdata/build/<name> (its ctx/ folder, or an empty context).
  absl::StatusOr<BuildResult> BuildCase(const std::string& name, BuildOptions o = {},
                                        const std::string& cache_dir = "",
                                        const std::string& context_copy = "") {
    std::string ctx = context_copy.empty() ? tmp_.path() + "/ctx-" + name : context_copy;
    if (!base::Env::Default()->Exists(ctx)) {
      std::mt19937 rng(42);
      std::string src = Testdata(name + "/ctx");
      if (base::Env::Default()->IsDirectory(src)) {
        CopyTree(src, ctx, &rng);
      } else {
        base::Env::Default()->CreateDirs(ctx).IgnoreError();
      }
    }
    o.context_dir = ctx;
    if (o.dockerfile_path.empty()) o.dockerfile_path = Testdata(name + "/Dockerfile");
    o.source = &source_;
    o.run = &run_;
    auto cache = StepCache::Open(cache_dir.empty() ? tmp_.path() + "/cache" : cache_dir);
    if (!cache.ok()) return cache.status();
    cache_ = std::move(*cache);
    return Build(o, *cache_);
  }

  // The image's layers applied in order into a fresh directory.
  std::string Flatten(const BuildResult& r) {
    std::string dir = tmp_.path() + "/flat" + std::to_string(++flat_);
    EXPECT_OK(base::Env::Default()->CreateDirs(dir));
    for (const oci::Descriptor& d : r.layers) {
      int fd = open(cache_->layout().BlobPath(d.digest).c_str(), O_RDONLY | O_CLOEXEC);
      EXPECT_GE(fd, 0);
      EXPECT_OK(oci::ApplyLayer(fd, dir).status());
      close(fd);
    }
    return dir;
  }
  std::string Read(const std::string& path) {
    absl::StatusOr<std::string> s = base::Env::Default()->ReadFile(path);
    return s.ok() ? *s : "<missing>";
  }
  struct stat Lstat(const std::string& path) {
    struct stat st = {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st;
  }

  std::optional<base::ScopedTempDir> tmp_holder_;
  struct TmpPath { std::optional<base::ScopedTempDir>* h; const std::string& path() const { return (*h)->path(); } } tmp_{&tmp_holder_};
  LocalImageSource source_;
  SandboxRunExecutor run_{{"/proc/self/exe", "__build-run"}};
  std::unique_ptr<StepCache> cache_;
  int flat_ = 0;
};

TEST_F(ExecutorTest, MetadataInstructionsUpdateTheConfigAsDocker) {
  BuildOptions o;
  o.build_args = {{"VERSION", "2.5"}};
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("metadata", o));
  const oci::ContainerConfig& c = r.config.config;
  EXPECT_THAT(c.env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                 ":/srv/app/bin",
                                 "APP_HOME=/srv/app", "APP_VERSION=2.5"));
  EXPECT_EQ(c.labels.at("org.example.version"), "2.5");
  EXPECT_EQ(c.labels.at("org.example.name"), "demo app");
  EXPECT_THAT(c.exposed_ports, ElementsAre("53/udp", "8080/tcp"));
  EXPECT_EQ(c.working_dir, "/srv/app/logs");
  EXPECT_EQ(c.user, "app:extra");
  EXPECT_THAT(c.volumes, ElementsAre("/cache", "/data"));
  EXPECT_EQ(c.stop_signal, "SIGINT");
  ASSERT_TRUE(c.healthcheck.has_value());
  EXPECT_THAT(c.healthcheck->test, ElementsAre("CMD-SHELL", "wget -q localhost:8080 || exit 1"));
  EXPECT_EQ(c.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(c.healthcheck->retries, 3);
  EXPECT_THAT(*c.shell, ElementsAre("/bin/sh", "-ec"));
  // CMD was set in this stage, so the later ENTRYPOINT keeps it; shell form uses SHELL.
  ASSERT_TRUE(c.cmd.has_value());
  EXPECT_THAT(*c.cmd, ElementsAre("/bin/sh", "-ec", "echo hello"));
  EXPECT_THAT(*c.entrypoint, ElementsAre("/bin/busybox"));
  EXPECT_THAT(c.on_build, ElementsAre("RUN echo triggered > /onbuild.txt"));
  EXPECT_EQ(r.config.author, "someone@example.com");
  EXPECT_EQ(r.config.created, "1970-01-01T00:00:00Z");
  // WORKDIR created /srv/app and /srv/app/logs as layers (after the base's); all else is empty_layer.
  ASSERT_EQ(r.layers.size(), 3u);
  int layers_in_history = 0;
  for (const oci::HistoryEntry& h : r.config.history) layers_in_history += !h.empty_layer;
  EXPECT_EQ(layers_in_history, 2);  // the base image has no history of its own
  std::string flat = Flatten(r);
  EXPECT_TRUE(S_ISDIR(Lstat(flat + "/srv/app/logs").st_mode));
}

TEST_F(ExecutorTest, EntrypointResetsInheritedCmd) {
  std::string df = tmp_.path() + "/ep.Dockerfile";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(df, "FROM base\nENTRYPOINT [\"top\"]\n"));
  BuildOptions o;
  o.dockerfile_path = df;
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("ep", o));
  EXPECT_FALSE(r.config.config.cmd.has_value());
  EXPECT_THAT(*r.config.config.entrypoint, ElementsAre("top"));
}

TEST_F(ExecutorTest, CopyFollowsDockerPathRules) {
  std::string ctx = tmp_.path() + "/ctx-copy";
  std::mt19937 rng(1);
  CopyTree(Testdata("copy/ctx"), ctx, &rng);
  ASSERT_EQ(symlink("dir/a.txt", (ctx + "/link.txt").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("copy", {}, "", ctx));
  std::string f = Flatten(r);
  // Directory contents, not the directory; .dockerignore applies.
  EXPECT_EQ(Read(f + "/dest/a.txt"), "alpha\n");
  EXPECT_EQ(Read(f + "/dest/sub/c.txt"), "gamma\n");
  EXPECT_FALSE(base::Env::Default()->Exists(f + "/dest/dir"));
  EXPECT_FALSE(base::Env::Default()->Exists(f + "/dest/secret.key"));
  EXPECT_EQ(Read(f + "/single"), "alpha\n");
  EXPECT_EQ(Read(f + "/glob/b.txt"), "beta\n");
  EXPECT_FALSE(base::Env::Default()->Exists(f + "/glob/notes.md"));
  struct stat owned = Lstat(f + "/owned/a.txt");
  EXPECT_EQ(owned.st_uid, 1000u);
  EXPECT_EQ(owned.st_gid, 2000u);
  EXPECT_EQ(owned.st_mode & 07777, 0640u);
  EXPECT_EQ(Lstat(f + "/sym/c.txt").st_mode & 07777, 0744u);
  // A symlink named as a source is followed; context files are owned by root.
  EXPECT_EQ(Read(f + "/links/link.txt"), "alpha\n");
  EXPECT_EQ(Lstat(f + "/dest/a.txt").st_uid, 0u);
  EXPECT_EQ(Read(f + "/deep/new/parents/c.txt"), "gamma\n");
  EXPECT_EQ(Lstat(f + "/deep/new").st_mode & 07777, 0755u);
  EXPECT_EQ(Read(f + "/heredoc.txt"), "inline content\n");
  EXPECT_EQ(Read(f + "/par/dir/sub/c.txt"), "gamma\n");
  EXPECT_EQ(Read(f + "/excl/a.txt"), "alpha\n");
  EXPECT_FALSE(base::Env::Default()->Exists(f + "/excl/notes.md"));
  // Every COPY is one layer with a `# buildkit` history entry.
  EXPECT_EQ(r.layers.size(), 11u);
  EXPECT_EQ(r.config.history.back().created_by, "COPY --exclude=*.md dir /excl/ # buildkit");
}

TEST_F(ExecutorTest, CopyOfMissingSourceNamesTheLine) {
  std::string df = tmp_.path() + "/missing.Dockerfile";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(df, "FROM base\n\nCOPY nothere /x\n"));
  BuildOptions o;
  o.dockerfile_path = df;
  EXPECT_THAT(BuildCase("missing", o).status(),
              base_testing::StatusIs(absl::StatusCode::kNotFound,
                                     HasSubstr("Dockerfile:3: COPY: failed to compute cache key")));
}

TEST_F(ExecutorTest, InsecureRunIsRefusedBeforeItStarts) {
  std::string df = tmp_.path() + "/insecure.Dockerfile";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      df, "FROM base\nRUN --security=insecure touch /escaped\n"));
  BuildOptions o;
  o.dockerfile_path = df;
  EXPECT_THAT(BuildCase("missing", o).status(),
              base_testing::StatusIs(absl::StatusCode::kPermissionDenied,
                                     HasSubstr("Dockerfile:2: RUN: --security=insecure needs the "
                                               "security.insecure entitlement")));
}

TEST_F(ExecutorTest, MultiStageWithTargetSkipsUnneededStages) {
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("multistage"));  // `broken` is never built
  std::string f = Flatten(r);
  EXPECT_EQ(Read(f + "/app"), "compiled\n");
  EXPECT_TRUE(S_ISREG(Lstat(f + "/bin/busybox").st_mode));
  EXPECT_EQ(r.layers.size(), 2u);
  BuildOptions o;
  o.target = "builder";
  ASSERT_OK_AND_ASSIGN(BuildResult b, BuildCase("multistage", o));
  std::string fb = Flatten(b);
  EXPECT_EQ(Read(fb + "/out/app"), "compiled\n");
  EXPECT_FALSE(base::Env::Default()->Exists(fb + "/etc/group"));  // deleted through a whiteout
  EXPECT_THAT(b.config.history.back().created_by,
              HasSubstr("RUN /bin/sh -c mkdir -p /out && echo compiled > /out/app"));
  o.target = "broken";
  EXPECT_THAT(BuildCase("multistage", o).status(),
              base_testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("exit code: 3")));
}

TEST_F(ExecutorTest, RunMountsAndSecretsNeverReachALayer) {
  std::string secret = tmp_.path() + "/token";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(secret, "s3cr3t-value-xyz"));
  BuildOptions o;
  o.secrets = {{"token", secret}};
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("runmounts", o));
  std::string f = Flatten(r);
  EXPECT_EQ(Read(f + "/cache-log"), "run\n");
  EXPECT_EQ(Read(f + "/secret-used"), "used\n");
  EXPECT_EQ(Read(f + "/copied.txt"), "bound input\n");
  EXPECT_EQ(Read(f + "/net.txt"), "offline\n");
  EXPECT_EQ(Read(f + "/heredoc.txt"), "from heredoc\n");
  EXPECT_EQ(Read(f + "/umask.txt"), "0022\n");
  for (const char* absent : {"/run/secrets", "/var/cache/demo", "/scratch", "/in.txt"}) {
    EXPECT_FALSE(base::Env::Default()->Exists(f + absent)) << absent;
  }
  // The secret's bytes are in no blob of the cache (layers, configs, manifests).
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> blobs,
                       base::Env::Default()->ListDir(cache_->layout().dir() + "/blobs/sha256"));
  for (const oci::Descriptor& d : r.layers) {
    int fd = open(cache_->layout().BlobPath(d.digest).c_str(), O_RDONLY | O_CLOEXEC);
    std::string dir = absl::StrCat(tmp_.path(), "/one", d.digest.hex().substr(0, 8));
    ASSERT_OK(base::Env::Default()->CreateDirs(dir));
    ASSERT_OK(oci::ApplyLayer(fd, dir).status());
    close(fd);
    std::string out;
    std::string cmd = absl::StrCat("grep -r -l s3cr3t-value ", dir, " > /dev/null");
    EXPECT_NE(system(cmd.c_str()), 0) << "secret found in layer " << d.digest;
  }
  for (const std::string& b : blobs) {
    EXPECT_THAT(Read(cache_->layout().dir() + "/blobs/sha256/" + b),
                ::testing::Not(HasSubstr("s3cr3t")));
  }
  // A second build reuses every step; the cache mount kept its content between runs.
  ASSERT_OK_AND_ASSIGN(BuildResult again, BuildCase("runmounts", o));
  EXPECT_EQ(again.manifest.digest, r.manifest.digest);
  EXPECT_EQ(again.cached_steps, again.steps - 1);  // all but FROM
}

TEST_F(ExecutorTest, FailingRunReportsLineCommandStatusAndOutput) {
  absl::Status s = BuildCase("failing").status();
  EXPECT_THAT(s, base_testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("Dockerfile:3: RUN /bin/sh -c echo about to fail")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("exit code: 7"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("on stderr"));
}

TEST_F(ExecutorTest, OnbuildTriggersOfTheBaseRun) {
  BuildOptions p;
  p.dockerfile_path = Testdata("onbuild/parent.Dockerfile");
  ASSERT_OK_AND_ASSIGN(BuildResult parent, BuildCase("onbuild", p));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> store, oci::Layout::Open(oci::LocalStoreDir()));
  ASSERT_OK(ExportImage(*cache_, parent, *store, "parent:latest"));
  ASSERT_OK_AND_ASSIGN(BuildResult child, BuildCase("onbuild"));
  EXPECT_EQ(Read(Flatten(child) + "/onbuild.txt"), "triggered\n");
  EXPECT_TRUE(child.config.config.on_build.empty());
}

TEST_F(ExecutorTest, WarmRebuildReadsNoFileAndOneChangeRebuildsOnlyLaterSteps) {
  ASSERT_OK_AND_ASSIGN(BuildResult cold, BuildCase("repro"));
  EXPECT_GT(cold.files_hashed, 0);
  ASSERT_OK_AND_ASSIGN(BuildResult warm, BuildCase("repro"));
  EXPECT_EQ(warm.manifest.digest, cold.manifest.digest);
  EXPECT_EQ(warm.files_hashed, 0);
  EXPECT_EQ(warm.cached_steps, 5);  // COPY, RUN, COPY --from, WORKDIR, COPY .
  // other.txt is read only by the last step: everything before it stays cached.
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(tmp_.path() + "/ctx-repro/other.txt",
                                                      "changed\n"));
  ASSERT_OK_AND_ASSIGN(BuildResult changed, BuildCase("repro"));
  EXPECT_NE(changed.manifest.digest, cold.manifest.digest);
  EXPECT_EQ(changed.files_hashed, 1);
  EXPECT_EQ(changed.cached_steps, 4);
  // A file of stage `a` invalidates its COPY and everything downstream.
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(tmp_.path() + "/ctx-repro/src/f2.txt",
                                                      "changed\n"));
  ASSERT_OK_AND_ASSIGN(BuildResult changed2, BuildCase("repro"));
  EXPECT_EQ(changed2.cached_steps, 0);
}

TEST_F(ExecutorTest, ColdBuildsInDifferentFoldersUmasksAndMtimesAreIdentical) {
  for (std::string name : {"repro", "copy", "runmounts", "metadata", "multistage"}) {
    std::string digests[2];
    for (int i = 0; i < 2; ++i) {
      std::string ctx = absl::StrCat(tmp_.path(), "/r", i, "/some", i, "/", name);
      std::mt19937 rng(i * 7 + 3);
      if (base::Env::Default()->IsDirectory(Testdata(name + "/ctx"))) {
        CopyTree(Testdata(name + "/ctx"), ctx, &rng);
      } else {
        ASSERT_OK(base::Env::Default()->CreateDirs(ctx));
      }
      if (name == "copy") ASSERT_EQ(symlink("dir/a.txt", (ctx + "/link.txt").c_str()), 0);
      mode_t old = umask(i == 0 ? 022 : 077);
      BuildOptions o;
      std::string secret = tmp_.path() + "/tok";
      ASSERT_OK(base::Env::Default()->WriteFileAtomically(secret, absl::StrCat("secret", i)));
      o.secrets = {{"token", secret}};
      absl::StatusOr<BuildResult> r =
          BuildCase(name, o, absl::StrCat(tmp_.path(), "/cache-r", i), ctx);
      umask(old);
      ASSERT_OK(r.status()) << name;
      digests[i] = r->manifest.digest.str();
    }
    EXPECT_EQ(digests[0], digests[1]) << name;
  }
}

}  // namespace
}  // namespace builder

// The test binary doubles as the RUN helper (SandboxRunExecutor re-executes /proc/self/exe).
int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "__build-run") return builder::RunHelperMain(argv[2]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

namespace builder {
namespace {

// Serves `body` over HTTP on 127.0.0.1 for every connection until destroyed (ADD URL tests).
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::string body) : body_(std::move(body)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // the listening socket was shut down
        char buf[4096];
        (void)!read(c, buf, sizeof(buf));
        std::string resp = absl::StrCat("HTTP/1.0 200 OK\r\nContent-Length: ", body_.size(),
                                        "\r\nConnection: close\r\n\r\n", body_);
        (void)!write(c, resp.data(), resp.size());
        close(c);
      }
    });
  }
  ~TinyHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string Sha256Of(const std::string& data) { return oci::Digest::Of(data).str(); }

// ADD extracts local tars (gzip, bzip2, xz, zstd, plain) into the destination and copies other
// files (a .gz that is not a tar stays compressed); ADD URL downloads and checks --checksum; RUN
// layers keep the times their files had, clamped to SOURCE_DATE_EPOCH; a bind mount with `rw`
// is writable and leaves no trace.
TEST_F(ExecutorTest, AddArchivesUrlsRunMtimeClampAndRwBind) {
  std::string ctx = tmp_.path() + "/ctx-add";
  base::Env* env = base::Env::Default();
  ASSERT_OK(env->CreateDirs(ctx + "/tree/sub"));
  ASSERT_OK(env->WriteFileAtomically(ctx + "/tree/sub/inner.txt", "inner\n"));
  ASSERT_OK(env->WriteFileAtomically(ctx + "/a.txt", "alpha\n"));
  ASSERT_OK(env->WriteFileAtomically(ctx + "/plain.txt", "not a tar\n"));
  std::string mk = absl::StrCat(
      "cd ", ctx, " && tar --owner=7 --group=8 -cf t.tar -C tree . && gzip -kn t.tar && ",
      "bzip2 -k t.tar && xz -k t.tar && zstd -q -k t.tar && gzip -kn plain.txt && rm -rf tree");
  ASSERT_EQ(system(mk.c_str()), 0);
  const std::string payload = "downloaded payload\n";
  TinyHttpServer http(payload);
  ASSERT_NE(http.port(), 0);
  std::string url = absl::StrCat("http://127.0.0.1:", http.port(), "/files/payload.bin?x=1");
  std::string df = tmp_.path() + "/Dockerfile.add";
  ASSERT_OK(env->WriteFileAtomically(df, absl::StrCat(
      "FROM base\n"
      "ADD t.tar.gz /gz/\n"
      "ADD t.tar.bz2 /bz/\n"
      "ADD t.tar.xz /xz\n"
      "ADD t.tar.zst /zst/\n"
      "ADD t.tar /plain-tar/\n"
      "ADD plain.txt.gz /kept/\n"
      "ADD --checksum=", Sha256Of(payload), " ", url, " /dl/\n"
      "RUN touch -d '1970-01-01 00:16:40' /old && echo new > /new\n"
      "RUN --mount=type=bind,source=a.txt,target=/mnt/a.txt,rw echo changed > /mnt/a.txt && "
      "cat /mnt/a.txt > /rw.txt\n")));
  BuildOptions o;
  o.dockerfile_path = df;
  o.epoch = 5000;
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("add", o, "", ctx));
  std::string f = Flatten(r);
  for (const char* d : {"/gz", "/bz", "/xz", "/zst", "/plain-tar"}) {
    SCOPED_TRACE(d);
    EXPECT_EQ(Read(f + d + "/sub/inner.txt"), "inner\n");
    EXPECT_EQ(Lstat(f + d + "/sub/inner.txt").st_uid, 7u);  // the tar's owners are kept
    EXPECT_EQ(Lstat(f + d + "/sub/inner.txt").st_gid, 8u);
  }
  EXPECT_FALSE(env->Exists(f + "/gz/t.tar.gz"));
  ASSERT_OK_AND_ASSIGN(std::string kept, env->ReadFile(f + "/kept/plain.txt.gz"));
  EXPECT_EQ(kept.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(Read(f + "/dl/payload.bin"), payload);
  EXPECT_EQ(Lstat(f + "/dl/payload.bin").st_mode & 07777, 0600u);
  EXPECT_EQ(Lstat(f + "/old").st_mtime, 1000);  // set by the command, before the epoch: kept
  EXPECT_EQ(Lstat(f + "/new").st_mtime, 5000);  // made now: clamped
  EXPECT_EQ(Lstat(f + "/gz/sub/inner.txt").st_mtime, 5000);
  EXPECT_EQ(Read(f + "/rw.txt"), "changed\n");
  EXPECT_FALSE(env->Exists(f + "/mnt/a.txt"));
  EXPECT_EQ(Read(ctx + "/a.txt"), "alpha\n");

  // A wrong checksum fails the step and names the line.
  ASSERT_OK(env->WriteFileAtomically(df, absl::StrCat(
      "FROM base\nADD --checksum=", Sha256Of("other"), " ", url, " /dl/\n")));
  EXPECT_THAT(BuildCase("add", o, "", ctx).status(),
              base_testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("Dockerfile:2: ADD: digest mismatch")));
}

// COPY --link makes a layer that depends only on what it copies: under another parent the step is
// CACHED and the layer blob is the same.
TEST_F(ExecutorTest, CopyLinkLayerIsIndependentOfItsParent) {
  std::string ctx = tmp_.path() + "/ctx-link";
  ASSERT_OK(base::Env::Default()->CreateDirs(ctx));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(ctx + "/a.txt", "alpha\n"));
  std::string df = tmp_.path() + "/Dockerfile.link";
  BuildOptions o;
  o.dockerfile_path = df;
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      df, "FROM base\nRUN echo one > /one\nCOPY --link a.txt /linked/a.txt\n"));
  ASSERT_OK_AND_ASSIGN(BuildResult first, BuildCase("link", o, "", ctx));
  EXPECT_EQ(first.cached_steps, 0);
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      df, "FROM base\nRUN echo two > /two\nCOPY --link a.txt /linked/a.txt\n"));
  ASSERT_OK_AND_ASSIGN(BuildResult second, BuildCase("link", o, "", ctx));
  EXPECT_EQ(second.cached_steps, 1);  // the COPY, not the changed RUN
  EXPECT_EQ(second.layers.back().digest, first.layers.back().digest);
  EXPECT_NE(second.manifest.digest, first.manifest.digest);
  std::string f = Flatten(second);
  EXPECT_EQ(Read(f + "/linked/a.txt"), "alpha\n");
  EXPECT_EQ(Read(f + "/two"), "two\n");
}

// RUN --mount=type=ssh shows the forwarded agent socket (SSH_AUTH_SOCK points at it); nothing of
// it reaches the layer; a required id that was not forwarded is an error naming it.
TEST_F(ExecutorTest, SshMountForwardsTheAgentSocket) {
  // Socket paths are short (108 bytes): a private directory under /tmp.
  ASSERT_OK_AND_ASSIGN(base::ScopedTempDir sock_dir, base::ScopedTempDir::Create("ssh-", "/tmp"));
  std::string sock = sock_dir.path() + "/agent.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  std::string df = tmp_.path() + "/Dockerfile.ssh";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      df, "FROM base\nRUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo $SSH_AUTH_SOCK > /ssh.txt\n"));
  BuildOptions o;
  o.dockerfile_path = df;
  o.ssh = {{"default", sock}};
  absl::StatusOr<BuildResult> r = BuildCase("ssh", o);
  close(fd);
  ASSERT_OK(r.status());
  std::string f = Flatten(*r);
  EXPECT_EQ(Read(f + "/ssh.txt"), "/run/buildkit/ssh_agent.0\n");
  EXPECT_FALSE(base::Env::Default()->Exists(f + "/run/buildkit/ssh_agent.0"));

  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      df, "FROM base\nRUN --mount=type=ssh,id=deploy,required=true true\n"));
  o.ssh.clear();
  EXPECT_THAT(BuildCase("ssh", o).status(),
              base_testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("Dockerfile:2: RUN: no SSH key deploy forwarded")));
}

// A read-only bind of the context shows the context's own files (same inode: nothing copied) when
// no .dockerignore pattern hides anything; with patterns, the ignored files stay invisible.
TEST_F(ExecutorTest, ContextBindMountsWithoutCopying) {
  std::string ctx = tmp_.path() + "/ctx-bind";
  base::Env* env = base::Env::Default();
  ASSERT_OK(env->CreateDirs(ctx + "/dir"));
  ASSERT_OK(env->WriteFileAtomically(ctx + "/dir/in.txt", "bound\n"));
  ASSERT_OK(env->WriteFileAtomically(ctx + "/dir/hidden.key", "nope\n"));
  std::string df = tmp_.path() + "/Dockerfile.bind";
  ASSERT_OK(env->WriteFileAtomically(
      df, "FROM base\nRUN --mount=type=bind,source=dir,target=/mnt stat -c %i /mnt/in.txt > /ino && "
          "ls /mnt > /ls\n"));
  BuildOptions o;
  o.dockerfile_path = df;
  ASSERT_OK_AND_ASSIGN(BuildResult r, BuildCase("bind", o, "", ctx));
  std::string f = Flatten(r);
  EXPECT_EQ(Read(f + "/ino"), absl::StrCat(Lstat(ctx + "/dir/in.txt").st_ino, "\n"));
  EXPECT_EQ(Read(f + "/ls"), "hidden.key\nin.txt\n");

  // With a .dockerignore, the directory (one file left in it) is still mounted as a directory.
  ASSERT_OK(env->WriteFileAtomically(ctx + "/.dockerignore", "**/*.key\n"));
  ASSERT_OK_AND_ASSIGN(BuildResult filtered, BuildCase("bind", o, "", ctx));
  f = Flatten(filtered);
  EXPECT_EQ(Read(f + "/ls"), "in.txt\n");
}

}  // namespace
}  // namespace builder
