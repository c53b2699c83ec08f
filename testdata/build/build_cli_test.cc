// `slipway build` as users run it (the real binary), checked by real tools:
//  - every testdata image is accepted by `skopeo inspect oci:…` and unpacked by `umoci unpack`;
//  - for the same Dockerfile, slipway's and buildah's images hold the same file tree (paths, types,
//    modes, owners, link targets, contents) when both use fixed timestamps;
//  - FROM a registry base (through the registry client) and `build --push` against a real local
//    registry, read back with skopeo and `slipway pull`.
// Needs root (RUN uses namespaces and overlayfs; umoci/buildah keep owners), skopeo, umoci,
// buildah and docker-registry (tools/setup.sh).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/testing/busybox_rootfs.h"
#include "tools/testing/registry/registry_server.h"

namespace {

using ::testing::HasSubstr;

struct CmdResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};

std::string LastLine(const std::string& s) {
  std::string t(absl::StripTrailingAsciiWhitespace(s));
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// One file-tree entry as compared between images.
struct Node {
  std::string type;  // "f", "d", "l"
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string data;  // content or link target
  bool operator==(const Node& o) const {
    return type == o.type && mode == o.mode && uid == o.uid && gid == o.gid && data == o.data;
  }
};

std::string Describe(const Node& n) {
  return absl::StrCat(n.type, " ", absl::StrFormat("%04o", n.mode), " ", n.uid, ":", n.gid, " ",
                      n.type == "d" ? "" : (n.data.size() > 40 ? n.data.substr(0, 40) + "…" : n.data));
}

void Walk(const std::string& root, const std::string& rel, std::map<std::string, Node>* out) {
  base::Env* env = base::Env::Default();
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(root + rel);
  ASSERT_TRUE(names.ok()) << names.status();
  for (const std::string& name : *names) {
    std::string r = absl::StrCat(rel, "/", name), p = root + r;
    struct stat st;
    ASSERT_EQ(lstat(p.c_str(), &st), 0) << p;
    Node n;
    n.mode = st.st_mode & 07777;
    n.uid = st.st_uid;
    n.gid = st.st_gid;
    if (S_ISDIR(st.st_mode)) {
      n.type = "d";
      Walk(root, r, out);
    } else if (S_ISLNK(st.st_mode)) {
      n.type = "l";
      n.mode = 0;  // link permissions mean nothing
      char buf[4096];
      ssize_t len = readlink(p.c_str(), buf, sizeof(buf));
      n.data.assign(buf, len > 0 ? len : 0);
    } else if (S_ISREG(st.st_mode)) {
      n.type = "f";
      absl::StatusOr<std::string> data = env->ReadFile(p);
      ASSERT_TRUE(data.ok()) << data.status();
      n.data = *data;
    } else {
      n.type = "other";
    }
    (*out)[r] = std::move(n);
  }
}

class BuildCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (RUN sandbox, umoci/buildah owners)";
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir t, base::ScopedTempDir::Create("build-cli-"));
    tmp_.emplace(std::move(t));
    const char* srcdir = std::getenv("TEST_SRCDIR");
    runfiles_ = absl::StrCat(srcdir ? srcdir : ".", "/slipway");
    slipway_ = runfiles_ + "/tools/slipway";
    env_ = absl::StrCat("HOME=", dir(), " DOCKER_CONFIG=", dir(), "/docker XDG_DATA_HOME=", dir(),
                        "/data XDG_CACHE_HOME=", dir(), "/cache XDG_CONFIG_HOME=", dir(),
                        "/config SOURCE_DATE_EPOCH=0 ");
    // The base image of every testdata Dockerfile: busybox with passwd/group (root, app 1000,
    // extra 2000), as `base` in the local store and as an OCI layout (for buildah and pushes).
    std::string root = dir() + "/bbroot";
    ASSERT_OK(base::Env::Default()->CreateDirs(root));
    ASSERT_OK(runner_testing::MakeBusyboxRootfs(root));
    ASSERT_EQ(Slipway(absl::StrCat("image --layer-dir ", root, " --env PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                   " -t oci:", dir(), "/base:latest")).status, 0);
    ASSERT_EQ(Slipway(absl::StrCat("image --base oci:", dir(), "/base:latest -t local:base")).status, 0);
  }
  void TearDown() override {
    if (buildah_root_.empty()) return;
    const std::string buildah = Buildah();
    const std::string root = buildah_root_;
    Sh(absl::StrCat(buildah, " rm -a >/dev/null 2>&1; umount -R ", root, " >/dev/null 2>&1; true"));
  }

  const std::string& dir() const { return tmp_->path(); }
  CmdResult Sh(const std::string& cmd) {
    CmdResult r;
    FILE* p = popen(absl::StrCat("cd ", dir(), " && (", cmd, ") 2>&1").c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
  }
  CmdResult Slipway(const std::string& args) {
    return Sh(absl::StrCat(env_, slipway_, " ", args));
  }
  // The buildah command line with this test's private storage (vfs, no daemon state shared).
  std::string Buildah() {
    buildah_root_ = dir() + "/buildah-root";
    return absl::StrCat("buildah --storage-driver vfs --root ", buildah_root_, " --runroot ", dir(),
                        "/buildah-run");
  }
  // A testdata case's context as real files (runfiles are symlinks), with the symlink the copy case
  // needs. Returns the context dir; the Dockerfile is `<case>/Dockerfile` in the runfiles.
  std::string Context(const std::string& name) {
    std::string src = absl::StrCat(runfiles_, "/testdata/build/", name);
    std::string ctx = absl::StrCat(dir(), "/ctx-", name);
    std::string from = base::Env::Default()->IsDirectory(src + "/ctx") ? src + "/ctx" : "";
    EXPECT_EQ(Sh(absl::StrCat("mkdir -p ", ctx, from.empty() ? "" : absl::StrCat(" && cp -rL ", from,
                                                                                  "/. ", ctx))).status,
              0);
    if (name == "copy") {
      EXPECT_EQ(symlink("dir/a.txt", (ctx + "/link.txt").c_str()), 0);
    }
    return ctx;
  }
  std::string Dockerfile(const std::string& name) {
    return absl::StrCat(runfiles_, "/testdata/build/", name, "/Dockerfile");
  }
  std::map<std::string, Node> Unpack(const std::string& image, const std::string& bundle) {
    CmdResult r = Sh(absl::StrCat("umoci unpack --image ", image, " ", bundle));
    EXPECT_EQ(r.status, 0) << r.out;
    std::map<std::string, Node> tree;
    if (r.status == 0) Walk(bundle + "/rootfs", "", &tree);
    return tree;
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::string runfiles_, slipway_, env_, buildah_root_;
};

// Every testdata image: skopeo reads the layout and umoci unpacks it.
TEST_F(BuildCliTest, SkopeoAndUmociAcceptEveryTestdataImage) {
  struct Case {
    std::string name, extra;
  };
  for (const Case& c : std::vector<Case>{{"copy", ""},
                                         {"metadata", ""},
                                         {"multistage", "--target final"},
                                         {"runmounts", "--secret id=token,src=" + dir() + "/token"},
                                         {"repro", ""}}) {
    SCOPED_TRACE(c.name);
    ASSERT_OK(base::Env::Default()->WriteFileAtomically(dir() + "/token", "s3cr3t"));
    std::string ctx = Context(c.name);
    std::string out = absl::StrCat(dir(), "/out-", c.name);
    CmdResult b = Slipway(absl::StrCat("build --progress plain -f ", Dockerfile(c.name), " ", c.extra,
                                       " --output oci:", out, ":img ", ctx));
    ASSERT_EQ(b.status, 0) << b.out;
    std::string digest = LastLine(b.out);
    CmdResult inspect = Sh(absl::StrCat("skopeo inspect --raw oci:", out, ":img | sha256sum"));
    ASSERT_EQ(inspect.status, 0) << inspect.out;
    EXPECT_EQ(absl::StrCat("sha256:", inspect.out.substr(0, 64)), digest);
    CmdResult config = Sh(absl::StrCat("skopeo inspect --config oci:", out, ":img"));
    ASSERT_EQ(config.status, 0) << config.out;
    EXPECT_THAT(config.out, HasSubstr("\"rootfs\""));
    std::map<std::string, Node> tree = Unpack(absl::StrCat(out, ":img"), dir() + "/bundle-" + c.name);
    EXPECT_FALSE(tree.empty());
    if (c.name == "runmounts") {
      // The secret and the cache mount never reach the image.
      EXPECT_EQ(tree.count("/run/secrets/token"), 0u);
      EXPECT_EQ(tree.count("/var/cache/demo/log"), 0u);
      ASSERT_EQ(tree.count("/secret-used"), 1u);
      for (const auto& [path, node] : tree) EXPECT_THAT(node.data, ::testing::Not(HasSubstr("s3cr3t")));
    }
  }
}

// buildah builds the same Dockerfiles from the same base; after unpacking, both trees agree on
// every path, type, mode, owner, link target and content. Legitimate differences, allowed
// explicitly (anything else fails):
//  - buildah's RUN may commit its runtime mount points: `/run` (an empty directory, for
//    /run/.containerenv) and empty `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf` files (which of
//    them varies from run to run); slipway never writes mount points into layers.
//  - `COPY DIR /new/` where /new does not exist: slipway gives /new the source directory's mode, as
//    BuildKit (docker build) does; buildah creates it 0755 (repro: `/made` is 0700 -> `/result`).
TEST_F(BuildCliTest, SameFileTreeAsBuildah) {
  if (Sh("command -v buildah").status != 0) GTEST_SKIP() << "buildah is not installed";
  std::string buildah = Buildah();
  // buildah names a pulled layout after its path, which must be lowercase: a lowercase link.
  std::string link = absl::StrCat("/tmp/slipway-build-cli-base-", getpid());
  unlink(link.c_str());
  ASSERT_EQ(symlink((dir() + "/base").c_str(), link.c_str()), 0);
  CmdResult pulled = Sh(absl::StrCat(buildah, " pull -q oci:", link, ":latest && ", buildah,
                                     " tag localhost", link, ":latest localhost/base:latest"));
  unlink(link.c_str());
  ASSERT_EQ(pulled.status, 0) << pulled.out;
  for (std::string name : {"compare", "repro", "multistage"}) {
    SCOPED_TRACE(name);
    std::string ctx = Context(name);
    std::string target = name == "multistage" ? "--target final" : "";
    std::string ours = absl::StrCat(dir(), "/ours-", name);
    CmdResult b = Slipway(absl::StrCat("build --progress plain -f ", Dockerfile(name), " ", target,
                                       " --output oci:", ours, ":img ", ctx));
    ASSERT_EQ(b.status, 0) << b.out;
    std::string theirs = absl::StrCat(dir(), "/theirs-", name);
    CmdResult bb = Sh(absl::StrCat(buildah, " bud --isolation chroot --timestamp 0 -q --layers=false ",
                                   target, " -f ", Dockerfile(name), " -t localhost/cmp-", name, " ",
                                   ctx, " && ", buildah, " push -q localhost/cmp-", name, " oci:",
                                   theirs, ":img"));
    ASSERT_EQ(bb.status, 0) << bb.out;
    std::map<std::string, Node> a = Unpack(ours + ":img", dir() + "/ub-ours-" + name);
    std::map<std::string, Node> t = Unpack(theirs + ":img", dir() + "/ub-theirs-" + name);
    // The differences documented above.
    for (const char* p : {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}) {
      auto it = t.find(p);
      if (it != t.end() && it->second.type == "f" && it->second.data.empty() && !a.count(p)) {
        t.erase(it);
      }
    }
    auto run = t.find("/run");
    if (run != t.end() && run->second.type == "d" && !a.count("/run") &&
        t.lower_bound("/run/") == t.lower_bound("/run0")) {
      t.erase(run);
    }
    if (name == "repro" && a.count("/result") && t.count("/result")) {
      EXPECT_EQ(a["/result"].mode, 0700u);
      EXPECT_EQ(t["/result"].mode, 0755u);
      t["/result"].mode = a["/result"].mode;
    }
    std::vector<std::string> diffs;
    for (const auto& [path, node] : a) {
      auto it = t.find(path);
      if (it == t.end()) {
        diffs.push_back(absl::StrCat("only slipway: ", path, " ", Describe(node)));
      } else if (!(it->second == node)) {
        diffs.push_back(absl::StrCat("differs: ", path, " slipway ", Describe(node), " buildah ",
                                     Describe(it->second)));
      }
    }
    for (const auto& [path, node] : t) {
      if (!a.count(path)) diffs.push_back(absl::StrCat("only buildah: ", path, " ", Describe(node)));
    }
    EXPECT_TRUE(diffs.empty()) << absl::StrJoin(diffs, "\n");
  }
}

// FROM a registry base (pulled through the registry client: builder never sees pusher/), then
// --push of every -t; skopeo reads what was pushed and `slipway pull` + umoci get the files back.
// `--output docker-archive:FILE:REF` names the image REF in the archive, besides the -t names,
// and skopeo finds it under each.
TEST_F(BuildCliTest, DockerArchiveOutputNamesTheImage) {
  std::string ctx = dir() + "/archctx";
  ASSERT_OK(base::Env::Default()->CreateDirs(ctx));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(ctx + "/hello.txt", "hello archive\n"));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(ctx + "/Dockerfile",
                                                      "FROM base\nCOPY hello.txt /hello.txt\n"));
  CmdResult b = Slipway(absl::StrCat("build --progress plain -t app:1 --output docker-archive:",
                                     dir(), "/app.tar:team/app:2 ", ctx));
  ASSERT_EQ(b.status, 0) << b.out;
  for (const char* name : {"app:1", "team/app:2"}) {
    CmdResult inspect = Sh(absl::StrCat("skopeo inspect --config docker-archive:", dir(), "/app.tar:",
                                        name));
    EXPECT_EQ(inspect.status, 0) << name << ": " << inspect.out;
  }
  EXPECT_NE(Sh(absl::StrCat("skopeo inspect docker-archive:", dir(), "/app.tar:other:1")).status, 0);
}

TEST_F(BuildCliTest, RegistryBaseAndPush) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry_testing::RegistryServer> reg,
                       registry_testing::RegistryServer::Start(registry_testing::Kind::kPlain));
  const std::string host = reg->host();
  CmdResult pushed_base = Slipway(absl::StrCat("push oci:", dir(), "/base:latest ", host, "/base:1"));
  ASSERT_EQ(pushed_base.status, 0) << pushed_base.out;
  std::string base_digest = LastLine(pushed_base.out);
  std::string ctx = dir() + "/regctx";
  ASSERT_OK(base::Env::Default()->CreateDirs(ctx));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(ctx + "/hello.txt", "hello registry\n"));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      ctx + "/Dockerfile", absl::StrCat("FROM ", host, "/base:1\nCOPY hello.txt /hello.txt\n")));
  CmdResult b = Slipway(absl::StrCat("build --progress plain --push -t ", host, "/app:1 -t ", host,
                                     "/app:latest --metadata-file ", dir(), "/meta.json ", ctx));
  ASSERT_EQ(b.status, 0) << b.out;
  std::string digest = LastLine(b.out);
  ASSERT_TRUE(absl::StartsWith(digest, "sha256:")) << b.out;
  EXPECT_THAT(b.out, HasSubstr(absl::StrCat("pushed ", host, "/app:1@", digest)));
  ASSERT_OK_AND_ASSIGN(std::string meta, base::Env::Default()->ReadFile(dir() + "/meta.json"));
  EXPECT_THAT(meta, HasSubstr(absl::StrCat(host, "/base@", base_digest)));

  for (std::string tag : {"1", "latest"}) {
    CmdResult inspect = Sh(absl::StrCat("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://",
                                        host, "/app:", tag));
    ASSERT_EQ(inspect.status, 0) << inspect.out;
    EXPECT_EQ(LastLine(inspect.out), digest);
  }
  CmdResult pull = Slipway(absl::StrCat("pull ", host, "/app:1 --output oci:", dir(), "/pulled:1"));
  ASSERT_EQ(pull.status, 0) << pull.out;
  EXPECT_EQ(LastLine(pull.out), digest);
  std::map<std::string, Node> tree = Unpack(dir() + "/pulled:1", dir() + "/bundle-pulled");
  ASSERT_EQ(tree.count("/hello.txt"), 1u);
  EXPECT_EQ(tree["/hello.txt"].data, "hello registry\n");
  ASSERT_EQ(tree.count("/bin/busybox"), 1u);

  // The same build again: the same digest (the base is read back from the registry by tag).
  CmdResult again = Slipway(absl::StrCat("build --progress plain -t ", host, "/app:2 ", ctx));
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(LastLine(again.out), digest);

  // A base the registry does not have: the user's error, naming the reference and the line.
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(
      ctx + "/Dockerfile", absl::StrCat("FROM ", host, "/nope:1\nCOPY hello.txt /hello.txt\n")));
  CmdResult missing = Slipway(absl::StrCat("build --progress plain ", ctx));
  EXPECT_NE(missing.status, 0);
  EXPECT_THAT(missing.out, HasSubstr("Dockerfile:1"));
  EXPECT_THAT(missing.out, HasSubstr(absl::StrCat(host, "/nope:1")));
  // --push without -t is a usage error.
  EXPECT_EQ(Slipway(absl::StrCat("build --push ", ctx)).status, 2);
}

// --cache-to pushes the steps a build used; a machine with an empty cache and --cache-from
// rebuilds with every step CACHED and the same digest. A cache that cannot be read is a warning.
TEST_F(BuildCliTest, CacheToAndFromThroughARegistry) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry_testing::RegistryServer> reg,
                       registry_testing::RegistryServer::Start(registry_testing::Kind::kPlain));
  const std::string host = reg->host();
  std::string ctx = Context("repro");
  CmdResult first = Slipway(absl::StrCat("build --progress plain --cache-dir ", dir(), "/cache-a -f ",
                                         Dockerfile("repro"), " --cache-to type=registry,ref=", host,
                                         "/cache:repro ", ctx));
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_THAT(first.out, HasSubstr(absl::StrCat("--cache-to ", host, "/cache:repro (5 steps")));
  CmdResult inspect = Sh(absl::StrCat("skopeo inspect --tls-verify=false --raw docker://", host,
                                      "/cache:repro"));
  ASSERT_EQ(inspect.status, 0) << inspect.out;
  EXPECT_THAT(inspect.out, HasSubstr("application/vnd.slipway.buildcache.v1"));

  CmdResult second = Slipway(absl::StrCat("build --progress plain --cache-dir ", dir(), "/cache-b -f ",
                                          Dockerfile("repro"), " --cache-from ", host,
                                          "/cache:repro --metadata-file ", dir(), "/meta.json ", ctx));
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_EQ(LastLine(second.out), LastLine(first.out));
  EXPECT_THAT(second.out, HasSubstr("5 steps imported"));
  ASSERT_OK_AND_ASSIGN(std::string meta, base::Env::Default()->ReadFile(dir() + "/meta.json"));
  EXPECT_THAT(meta, HasSubstr("\"cached_steps\": 5"));

  CmdResult missing = Slipway(absl::StrCat("build --progress plain --cache-dir ", dir(), "/cache-c -f ",
                                           Dockerfile("repro"), " --cache-from ", host, "/nope:1 ", ctx));
  ASSERT_EQ(missing.status, 0) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("(ignored)"));
  EXPECT_EQ(LastLine(missing.out), LastLine(first.out));
}

}  // namespace
