// Push and pull of a multi-layer image through a fault-injecting proxy in front of the real
// registry: dropped connections mid-blob (both directions), 500/503, 429 with Retry-After, and a
// stalled download. Transient faults must be survived with every digest correct; a permanent
// fault must fail with a clear error.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/layout/layout.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "pusher/copy.h"
#include "pusher/session.h"
#include "pusher/testing/test_image.h"
#include "tools/testing/registry/registry_server.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::registry_testing::Kind;
using ::registry_testing::RegistryServer;
using ::testing::HasSubstr;

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir d, base::ScopedTempDir::Create("pusher-fault-"));
    tmp_.emplace(std::move(d));
    ASSERT_OK_AND_ASSIGN(reg_, RegistryServer::Start(Kind::kPlain, {.fault_proxy = true}));
    ASSERT_OK_AND_ASSIGN(src_, oci::Layout::Open(tmp_->path() + "/src"));
    ASSERT_OK_AND_ASSIGN(manifest_, pusher_testing::MakeTestImage(*src_, 3, 600 << 10, 11, "v1"));
    SessionOptions o;
    o.docker_config_dir = tmp_->path() + "/docker";
    o.curl.low_speed_time = absl::Seconds(2);
    o.curl.certs_dirs = {tmp_->path() + "/certs"};
    o.retry.initial_delay = absl::Milliseconds(20);
    o.retry.max_delay = absl::Seconds(2);
    o.monolithic_limit = 100 << 10;
    o.chunk_size = 256 << 10;
    ASSERT_OK_AND_ASSIGN(session_, Session::Create(o));
  }
  oci::ImageLocation Loc(const std::string& text) {
    absl::StatusOr<oci::ImageLocation> l = oci::ImageLocation::Parse(text);
    EXPECT_TRUE(l.ok()) << l.status();
    return *l;
  }
  absl::StatusOr<CopyResult> Push(const std::string& dest) {
    TransferOptions t;
    t.jobs = 3;
    return CopyImage(*session_, Loc("oci:" + src_->dir() + ":v1"), Loc(dest), t);
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::unique_ptr<RegistryServer> reg_;
  std::unique_ptr<oci::Layout> src_;
  oci::Descriptor manifest_;
  std::unique_ptr<Session> session_;
};

TEST_F(FaultTest, TransientFaultsAreSurvivedWithCorrectDigests) {
  // Through the proxy: the registry builds Location URLs from the Host header, so every request
  // of the push goes through the faults.
  const std::string via = reg_->proxy();
  ASSERT_OK(reg_->SetFaults(R"([
    {"match": "PATCH /v2/f/app/blobs/uploads", "action": "drop", "after_bytes": 100000, "times": 2},
    {"match": "HEAD /v2/f/app/blobs/", "action": "status", "status": 503, "times": 2},
    {"match": "POST /v2/f/app/blobs/uploads", "action": "status", "status": 429, "retry_after": 1, "times": 1},
    {"match": "PUT /v2/f/app/blobs/uploads", "action": "status", "status": 500, "times": 1},
    {"match": "PUT /v2/f/app/manifests/", "action": "status", "status": 502, "times": 1}
  ])"));
  absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(CopyResult pushed, Push(via + "/f/app:1"));
  EXPECT_EQ(pushed.transfer.root.digest, manifest_.digest);
  EXPECT_EQ(pushed.transfer.stats.blobs_moved, 4);
  ASSERT_OK_AND_ASSIGN(std::string stats, reg_->ProxyStats());
  EXPECT_THAT(stats, HasSubstr("\"faults\": 7")) << stats;
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));

  // Pull back through drops mid-body and a stalled body (low-speed timeout 2 s, then Range resume).
  ASSERT_OK(reg_->SetFaults(R"([
    {"match": "GET /v2/f/app/blobs/sha256", "action": "drop", "after_bytes": 200000, "times": 3},
    {"match": "GET /v2/f/app/blobs/sha256", "action": "stall_body", "seconds": 5, "times": 1},
    {"match": "GET /v2/f/app/manifests/", "action": "status", "status": 500, "times": 1}
  ])"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<oci::Layout> dst, oci::Layout::Open(tmp_->path() + "/dst"));
  TransferOptions t;
  t.jobs = 2;
  ASSERT_OK_AND_ASSIGN(CopyResult pulled,
                       CopyImage(*session_, Loc(via + "/f/app:1"), Loc("oci:" + dst->dir()), t));
  EXPECT_EQ(pulled.transfer.root.digest, manifest_.digest);
  ASSERT_OK_AND_ASSIGN(std::string mbytes, dst->ReadBlob(manifest_.digest));
  ASSERT_OK_AND_ASSIGN(oci::Manifest m, oci::Manifest::Parse(mbytes));
  for (const oci::Descriptor& l : m.layers) {
    ASSERT_OK_AND_ASSIGN(std::string data, dst->ReadBlob(l.digest));  // verified on read
    EXPECT_EQ(static_cast<int64_t>(data.size()), l.size);
  }
  ASSERT_OK_AND_ASSIGN(stats, reg_->ProxyStats());
  EXPECT_THAT(stats, HasSubstr("\"faults\": 12")) << stats;
}

TEST_F(FaultTest, PermanentFaultFailsClearly) {
  ASSERT_OK(reg_->SetFaults(R"([
    {"match": "/blobs/uploads", "action": "status", "status": 500, "times": -1}
  ])"));
  absl::Time start = absl::Now();
  absl::Status s = Push(reg_->proxy() + "/perm/app:1").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("500 Internal Server Error")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("pushing blob sha256:"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(90));

  // A registry that is gone: refused connections, reported as such.
  std::string gone = reg_->host();
  reg_.reset();
  absl::Status refused = Push(gone + "/perm/app:1").status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(gone)));
}

}  // namespace
}  // namespace pusher
