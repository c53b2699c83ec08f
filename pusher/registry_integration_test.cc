// Push, pull, copy, auth and TLS against the real reference registry (Debian's docker-registry),
// started by the test on 127.0.0.1 in the four set-ups of tools/testing/registry.
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/env.h"
#include "base/status_macros.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"
#include "pusher/copy.h"
#include "pusher/errors.h"
#include "pusher/session.h"
#include "pusher/testing/test_image.h"
#include "pusher/transfer.h"
#include "pusher/transport/curl_transport.h"
#include "tools/testing/registry/registry_server.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::registry_testing::Kind;
using ::registry_testing::RegistryServer;
using ::testing::HasSubstr;
using ::testing::Not;

// Counts requests by "METHOD kind" (kind: upload, blob, manifest, other) on their way to curl.
class CountingTransport : public HttpTransport {
 public:
  explicit CountingTransport(HttpTransport* inner) : inner_(inner) {}
  absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& r) override {
    std::string kind = absl::StrContains(r.url, "/blobs/uploads") ? "upload"
                       : absl::StrContains(r.url, "/blobs/")      ? "blob"
                       : absl::StrContains(r.url, "/manifests/")  ? "manifest"
                                                                  : "other";
    {
      absl::MutexLock lock(&mu_);
      ++counts_[absl::StrCat(r.method, " ", kind)];
    }
    return inner_->RoundTrip(r);
  }
  int Count(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return counts_[key];
  }
  int Writes() {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& [k, v] : counts_) {
      if (absl::StartsWith(k, "POST") || absl::StartsWith(k, "PATCH") ||
          absl::StartsWith(k, "PUT")) {
        n += v;
      }
    }
    return n;
  }
  void Reset() {
    absl::MutexLock lock(&mu_);
    counts_.clear();
  }

 private:
  HttpTransport* inner_;
  absl::Mutex mu_;
  std::map<std::string, int> counts_;
};

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir d, base::ScopedTempDir::Create("pusher-it-"));
    tmp_.emplace(std::move(d));
  }
  std::string Tmp(const std::string& name) { return absl::StrCat(tmp_->path(), "/", name); }

  // A session whose curl trusts `reg`'s CA and uses `credential` (if any).
  std::unique_ptr<Session> MakeSession(const RegistryServer& reg,
                                       std::optional<Credential> credential = std::nullopt,
                                       std::function<void(SessionOptions&)> tweak = nullptr) {
    CurlTransportOptions co;
    co.certs_dirs = {reg.certs_dir().empty() ? Tmp("no-certs") : reg.certs_dir()};
    co.low_speed_time = absl::Seconds(2);
    co.connect_timeout = absl::Seconds(5);
    // Earlier sessions stay usable: their transports live as long as the fixture.
    curls_.push_back(std::make_unique<CurlTransport>(co));
    countings_.push_back(std::make_unique<CountingTransport>(curls_.back().get()));
    counting_ = countings_.back().get();
    SessionOptions o;
    o.base_transport = counting_;
    o.docker_config_dir = Tmp("docker-config");
    o.credential_override = credential;
    o.retry.initial_delay = absl::Milliseconds(20);
    o.retry.max_delay = absl::Milliseconds(500);
    if (tweak) tweak(o);
    absl::StatusOr<std::unique_ptr<Session>> s = Session::Create(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }

  std::unique_ptr<oci::Layout> NewLayout(const std::string& name) {
    absl::StatusOr<std::unique_ptr<oci::Layout>> l = oci::Layout::Open(Tmp(name));
    EXPECT_TRUE(l.ok()) << l.status();
    return std::move(*l);
  }

  static oci::ImageLocation Loc(const std::string& text) {
    absl::StatusOr<oci::ImageLocation> l = oci::ImageLocation::Parse(text);
    EXPECT_TRUE(l.ok()) << text << ": " << l.status();
    return *l;
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::vector<std::unique_ptr<CurlTransport>> curls_;
  std::vector<std::unique_ptr<CountingTransport>> countings_;
  CountingTransport* counting_ = nullptr;  // the latest session's
};

// Pushes oci:src:v1 to host/repo:tag and returns the result.
absl::StatusOr<CopyResult> Push(Session& s, const std::string& layout_dir, const std::string& dest,
                                int jobs = 4) {
  ASSIGN_OR_RETURN(oci::ImageLocation src, oci::ImageLocation::Parse(absl::StrCat("oci:", layout_dir, ":v1")));
  ASSIGN_OR_RETURN(oci::ImageLocation dst, oci::ImageLocation::Parse(dest));
  TransferOptions o;
  o.jobs = jobs;
  o.all_platforms = true;
  return CopyImage(s, src, dst, o);
}

oci::Platform Plat(const std::string& arch, const std::string& os, const std::string& variant = "") {
  oci::Platform p;
  p.architecture = arch;
  p.os = os;
  p.variant = variant;
  return p;
}

void ExpectSameBlobs(const oci::Layout& a, const oci::Layout& b, const oci::Descriptor& manifest) {
  absl::StatusOr<std::string> bytes = b.ReadBlob(manifest.digest);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<oci::Manifest> m = oci::Manifest::Parse(*bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(b.HasBlob(m->config.digest));
  for (const oci::Descriptor& l : m->layers) {
    EXPECT_TRUE(b.HasBlob(l.digest)) << l.digest;
    EXPECT_TRUE(a.HasBlob(l.digest)) << l.digest;
  }
}

TEST_F(RegistryTest, PlainPushPullRepushAndTags) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 3, 300 << 10, 1, "v1"));
  auto session = MakeSession(*reg);
  ASSERT_OK_AND_ASSIGN(CopyResult pushed, Push(*session, src->dir(), reg->host() + "/team/app:1.0"));
  EXPECT_EQ(pushed.transfer.root.digest, manifest.digest);
  EXPECT_EQ(pushed.transfer.stats.blobs_moved, 4);
  EXPECT_EQ(pushed.transfer.stats.manifests_written, 1);

  // Re-push uploads nothing: no POST/PATCH/PUT at all.
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(CopyResult again, Push(*session, src->dir(), reg->host() + "/team/app:1.0"));
  EXPECT_EQ(again.transfer.stats.blobs_moved, 0);
  EXPECT_EQ(again.transfer.stats.blobs_present, 4);
  EXPECT_EQ(again.transfer.stats.manifests_written, 0);
  EXPECT_EQ(counting_->Writes(), 0);

  // Pull into an empty layout: same digest, every blob present.
  auto dst = NewLayout("dst");
  ASSERT_OK_AND_ASSIGN(CopyResult pulled,
                       CopyImage(*session, Loc(reg->host() + "/team/app:1.0"),
                                 Loc("oci:" + dst->dir() + ":pulled"), TransferOptions()));
  EXPECT_EQ(pulled.transfer.root.digest, manifest.digest);
  EXPECT_EQ(pulled.served_by, reg->host());
  ExpectSameBlobs(*src, *dst, manifest);
  ASSERT_OK_AND_ASSIGN(oci::Descriptor tagged, dst->Resolve("pulled"));
  EXPECT_EQ(tagged.digest, manifest.digest);

  // Tags and catalog.
  ASSERT_OK(Push(*session, src->dir(), reg->host() + "/team/app:2.0").status());
  Registry* r = session->ForHost(reg->host());
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tags, r->ListTags("team/app"));
  EXPECT_THAT(tags, ::testing::UnorderedElementsAre("1.0", "2.0"));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> repos, r->Catalog());
  EXPECT_THAT(repos, ::testing::Contains("team/app"));
  ASSERT_OK_AND_ASSIGN(oci::Descriptor head, r->HeadManifest("team/app", "2.0"));
  EXPECT_EQ(head.digest, manifest.digest);
  EXPECT_THAT(r->GetManifest("team/app", "nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("MANIFEST_UNKNOWN")));

  // Pagination against the real registry: with ?n=2 it answers the catalog in pages linked by
  // `Link: <…?last=…&n=2>; rel="next"`, and every page is followed (5 repositories: 3 pages).
  // tags/list ignores n in docker-registry 2.8 (one page), so both paths are checked.
  for (const char* repo : {"team/b", "team/c", "team/d", "zz/e"}) {
    ASSERT_OK(Push(*session, src->dir(), absl::StrCat(reg->host(), "/", repo, ":1")).status());
  }
  counting_->Reset();
  RegistryOptions ro;
  ro.transport = session->transport();
  ro.scheme = "http";
  ro.list_page_size = 2;
  Registry paged(reg->host(), ro);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> all, paged.Catalog());
  EXPECT_THAT(all, ::testing::ElementsAre("team/app", "team/b", "team/c", "team/d", "zz/e"));
  EXPECT_GE(counting_->Count("GET other"), 3);  // one page only would be 1, plus at most a ping
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> paged_tags, paged.ListTags("team/app"));
  EXPECT_THAT(paged_tags, ::testing::UnorderedElementsAre("1.0", "2.0"));
}

TEST_F(RegistryTest, ChunkedUploadAndCrossRepoMount) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 2, 700 << 10, 2, "v1"));
  auto session = MakeSession(*reg, std::nullopt, [](SessionOptions& o) {
    o.monolithic_limit = 100 << 10;
    o.chunk_size = 256 << 10;
  });
  ASSERT_OK(Push(*session, src->dir(), reg->host() + "/a/app:1").status());
  EXPECT_GE(counting_->Count("PATCH upload"), 6);  // 2 layers x 3 chunks

  // Promotion to another repository of the same registry mounts every blob.
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(CopyResult copied,
                       CopyImage(*session, Loc(reg->host() + "/a/app:1"),
                                 Loc(reg->host() + "/b/app:prod"), TransferOptions()));
  EXPECT_EQ(copied.transfer.stats.blobs_mounted, 3);
  EXPECT_EQ(copied.transfer.stats.blobs_moved, 0);
  EXPECT_EQ(counting_->Count("PATCH upload"), 0);
  EXPECT_EQ(counting_->Count("GET blob"), 0);
  EXPECT_EQ(copied.transfer.root.digest, manifest.digest);

  auto dst = NewLayout("dst");
  ASSERT_OK(CopyImage(*session, Loc(reg->host() + "/b/app:prod"), Loc("oci:" + dst->dir()),
                      TransferOptions())
                .status());
  ExpectSameBlobs(*src, *dst, manifest);
}

TEST_F(RegistryTest, IndexPushKeepsDigestAndPullPicksPlatform) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor amd, pusher_testing::MakeTestImage(*src, 1, 1000, 3, "", "amd64"));
  ASSERT_OK_AND_ASSIGN(oci::Descriptor arm, pusher_testing::MakeTestImage(*src, 1, 1000, 4, "", "arm64"));
  amd.platform = Plat("amd64", "linux");
  arm.platform = Plat("arm64", "linux", "v8");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor index, pusher_testing::MakeTestIndex(*src, {amd, arm}, "v1"));
  auto session = MakeSession(*reg);
  ASSERT_OK_AND_ASSIGN(CopyResult pushed, Push(*session, src->dir(), reg->host() + "/multi:1"));
  EXPECT_EQ(pushed.transfer.root.digest, index.digest);
  EXPECT_EQ(pushed.transfer.stats.manifests_written, 3);

  oci::Platform want = Plat("arm64", "linux");
  TransferOptions o;
  o.platform = &want;
  auto dst = NewLayout("dst");
  ASSERT_OK_AND_ASSIGN(CopyResult pulled, CopyImage(*session, Loc(reg->host() + "/multi:1"),
                                                    Loc("oci:" + dst->dir() + ":x"), o));
  EXPECT_EQ(pulled.transfer.root.digest, arm.digest);

  oci::Platform none = Plat("s390x", "linux");
  o.platform = &none;
  EXPECT_THAT(CopyImage(*session, Loc(reg->host() + "/multi:1"), Loc("oci:" + dst->dir() + ":y"), o),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("linux/arm64/v8")));
}

TEST_F(RegistryTest, TamperedBlobIsRejectedAndNotKept) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 1, 64 << 10, 5, "v1"));
  auto session = MakeSession(*reg);
  ASSERT_OK(Push(*session, src->dir(), reg->host() + "/t:1").status());
  ASSERT_OK_AND_ASSIGN(std::string mbytes, src->ReadBlob(manifest.digest));
  ASSERT_OK_AND_ASSIGN(oci::Manifest m, oci::Manifest::Parse(mbytes));
  const oci::Digest layer = m.layers[0].digest;
  // Flip one byte of the layer inside the registry's storage.
  std::string data = absl::StrCat(reg->workdir(), "/registry/storage/docker/registry/v2/blobs/sha256/",
                                  layer.hex().substr(0, 2), "/", layer.hex(), "/data");
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << data;
    f.seekp(100);
    char c = 0;
    f.seekg(100);
    f.read(&c, 1);
    c ^= 0x5a;
    f.seekp(100);
    f.write(&c, 1);
  }
  auto dst = NewLayout("dst");
  absl::StatusOr<CopyResult> pulled =
      CopyImage(*session, Loc(reg->host() + "/t:1"), Loc("oci:" + dst->dir()), TransferOptions());
  EXPECT_THAT(pulled, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(layer.str())));
  EXPECT_FALSE(dst->HasBlob(layer));
  EXPECT_FALSE(dst->HasBlob(manifest.digest));
  EXPECT_THAT(dst->Resolve("latest"), StatusIs(absl::StatusCode::kNotFound, testing::_));
}

TEST_F(RegistryTest, BasicAuthOverTls) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kBasicTls));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 2, 100 << 10, 6, "v1"));
  Credential good{reg->username(), reg->password(), ""};
  auto session = MakeSession(*reg, good);
  Registry* r = session->ForHost(reg->host());
  ASSERT_OK(r->Ping(/*authenticate=*/true));
  EXPECT_TRUE(absl::StartsWith(r->Describe(), "https://"));
  ASSERT_OK_AND_ASSIGN(CopyResult pushed, Push(*session, src->dir(), reg->host() + "/secure/app:1"));
  EXPECT_EQ(pushed.transfer.root.digest, manifest.digest);
  auto dst = NewLayout("dst");
  ASSERT_OK(CopyImage(*session, Loc(reg->host() + "/secure/app:1"), Loc("oci:" + dst->dir()),
                      TransferOptions())
                .status());
  ExpectSameBlobs(*src, *dst, manifest);

  // Wrong password: refused, and the password never appears in the error.
  auto bad = MakeSession(*reg, Credential{reg->username(), "wrong-Pa55-xyz", ""});
  absl::Status s = bad->ForHost(reg->host())->Ping(true);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("401")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("wrong-Pa55-xyz")));
  absl::Status pull = CopyImage(*bad, Loc(reg->host() + "/secure/app:1"), Loc("oci:" + Tmp("x")),
                                TransferOptions()).status();
  EXPECT_THAT(pull, StatusIs(absl::StatusCode::kUnauthenticated, testing::_));
  EXPECT_THAT(pull.ToString(), Not(HasSubstr("wrong-Pa55-xyz")));

  // Without the CA the TLS handshake is refused with a hint (no silent downgrade to http).
  CurlTransportOptions co;
  co.certs_dirs = {Tmp("empty-certs")};
  CurlTransport plain_curl(co);
  SessionOptions o;
  o.base_transport = &plain_curl;
  o.docker_config_dir = Tmp("docker-config");
  o.credential_override = good;
  o.retry.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(auto untrusted, Session::Create(o));
  RegistryOptions ro;
  ro.transport = untrusted->transport();
  ro.scheme = "https";
  Registry strict(reg->host(), ro);
  EXPECT_THAT(strict.Ping(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ca.crt")));
}

TEST_F(RegistryTest, TokenAuth) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kToken));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 2, 50 << 10, 7, "v1"));
  // Anonymous tokens only grant pull: pushing is refused.
  auto anon = MakeSession(*reg);
  absl::Status denied = Push(*anon, src->dir(), reg->host() + "/tok/app:1").status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kUnauthenticated, testing::_));

  auto session = MakeSession(*reg, Credential{reg->username(), reg->password(), ""});
  ASSERT_OK_AND_ASSIGN(CopyResult pushed, Push(*session, src->dir(), reg->host() + "/tok/app:1"));
  EXPECT_EQ(pushed.transfer.root.digest, manifest.digest);
  // Mount across repositories needs pull on the source too.
  ASSERT_OK_AND_ASSIGN(CopyResult promoted,
                       CopyImage(*session, Loc(reg->host() + "/tok/app:1"),
                                 Loc(reg->host() + "/tok/prod:1"), TransferOptions()));
  EXPECT_EQ(promoted.transfer.stats.blobs_mounted, 3);

  // Anonymous pull works; an identity (refresh) token works for push.
  auto dst = NewLayout("dst");
  ASSERT_OK(CopyImage(*anon, Loc(reg->host() + "/tok/app:1"), Loc("oci:" + dst->dir()),
                      TransferOptions())
                .status());
  ExpectSameBlobs(*src, *dst, manifest);
  auto idtok = MakeSession(*reg, Credential{"", "", reg->refresh_token()});
  ASSERT_OK(Push(*idtok, src->dir(), reg->host() + "/tok/other:1").status());
  ASSERT_OK(idtok->ForHost(reg->host())->Ping(true));
}

TEST_F(RegistryTest, MirrorServesAndUpstreamIsTheFallback) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kMirror, {.fault_proxy = true}));
  auto src = NewLayout("src");
  ASSERT_OK_AND_ASSIGN(oci::Descriptor manifest,
                       pusher_testing::MakeTestImage(*src, 2, 40 << 10, 8, "v1"));
  const std::string upstream = reg->upstream();
  {
    auto s = MakeSession(*reg);
    ASSERT_OK(Push(*s, src->dir(), upstream + "/lib/app:1").status());
  }
  auto with_mirror = [&](const std::string& mirror, bool no_fallback) {
    return MakeSession(*reg, std::nullopt, [&](SessionOptions& o) {
      o.mirrors.registries[upstream].mirrors = {MirrorEndpoint{mirror, "http"}};
      o.mirrors.registries[upstream].no_fallback = no_fallback;
    });
  };
  // Through the (healthy) pull-through mirror.
  auto s1 = with_mirror(reg->proxy(), false);
  auto d1 = NewLayout("d1");
  ASSERT_OK_AND_ASSIGN(CopyResult r1, CopyImage(*s1, Loc(upstream + "/lib/app:1"),
                                                Loc("oci:" + d1->dir()), TransferOptions()));
  EXPECT_THAT(r1.served_by, HasSubstr("(mirror)"));
  EXPECT_EQ(r1.transfer.root.digest, manifest.digest);
  ExpectSameBlobs(*src, *d1, manifest);

  // The mirror fails (500 forever): the upstream serves.
  ASSERT_OK(reg->SetFaults(R"([{"match": "/v2/", "action": "status", "status": 500, "times": -1}])"));
  auto d2 = NewLayout("d2");
  ASSERT_OK_AND_ASSIGN(CopyResult r2, CopyImage(*s1, Loc(upstream + "/lib/app:1"),
                                                Loc("oci:" + d2->dir()), TransferOptions()));
  EXPECT_THAT(r2.served_by, HasSubstr("upstream"));
  ExpectSameBlobs(*src, *d2, manifest);

  // no-fallback: the mirror's error is the answer.
  auto s3 = with_mirror(reg->proxy(), true);
  EXPECT_THAT(CopyImage(*s3, Loc(upstream + "/lib/app:1"), Loc("oci:" + Tmp("d3")), TransferOptions()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no-fallback")));
  // A mirror that refuses connections falls back too.
  auto s4 = with_mirror("127.0.0.1:1", false);
  ASSERT_OK_AND_ASSIGN(CopyResult r4, CopyImage(*s4, Loc(upstream + "/lib/app:1"),
                                                Loc("oci:" + Tmp("d4")), TransferOptions()));
  EXPECT_THAT(r4.served_by, HasSubstr("upstream"));
}

}  // namespace
}  // namespace pusher
