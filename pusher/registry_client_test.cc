// Registry client behaviour against an in-process fake (no network): Link pagination, download
// resume with Range (and a server that ignores Range), digest verification, chunked upload resume
// from the registry's reported offset, mount, and manifest digests.
#include "pusher/registry_client.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/media_types.h"
#include "pusher/testing/fake_transport.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::pusher_testing::FakeTransport;
using ::pusher_testing::Recorded;
using ::pusher_testing::Response;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

RegistryOptions Opts(HttpTransport* t) {
  RegistryOptions o;
  o.transport = t;
  o.scheme = "http";
  o.sleep = [](absl::Duration) {};
  return o;
}

std::string Path(const std::string& url) {
  size_t p = url.find("/v2/");
  return p == std::string::npos ? url : url.substr(p);
}

TEST(RegistryClientTest, FollowsLinkPagination) {
  FakeTransport fake([](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    std::string p = Path(r.url);
    if (p == "/v2/") return Response(200);
    if (p == "/v2/a/tags/list") {
      return Response(200, R"({"name":"a","tags":["1","2"]})",
                      {{"Link", R"(</v2/a/tags/list?last=2&n=2>; rel="next")"}});
    }
    if (p == "/v2/a/tags/list?last=2&n=2") return Response(200, R"({"name":"a","tags":["3"]})");
    return Response(404);
  });
  Registry reg("r.test", Opts(&fake));
  ASSERT_OK_AND_ASSIGN(auto tags, reg.ListTags("a"));
  EXPECT_THAT(tags, ElementsAre("1", "2", "3"));
}

struct BlobServer {
  std::string blob = std::string(1000, 'x') + std::string(1000, 'y');
  oci::Digest digest = oci::Digest::Of(blob);
  int drops = 1;          // connections to drop mid-body
  bool honour_range = true;
  std::vector<std::string> ranges;
  FakeTransport fake{[this](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    std::string p = Path(r.url);
    if (p == "/v2/") return Response(200);
    std::string range = r.Header("Range");
    ranges.push_back(range);
    int64_t from = 0;
    if (!range.empty() && honour_range) {
      absl::SimpleAtoi(range.substr(6, range.size() - 7), &from);
    }
    HttpResponse resp = Response(from > 0 ? 206 : 200, blob.substr(from));
    if (drops > 0) {
      --drops;
      resp.headers.emplace_back("x-fake-drop-after", "700");
    }
    return resp;
  }};
};

TEST(RegistryClientTest, ResumesDownloadsWithRange) {
  BlobServer server;
  server.drops = 2;
  Registry reg("r.test", Opts(&server.fake));
  std::string got;
  ASSERT_OK(reg.FetchBlob("a", server.digest, server.blob.size(), [&](absl::string_view d) {
    got.append(d.data(), d.size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(got, server.blob);
  EXPECT_THAT(server.ranges, ElementsAre("", "bytes=700-", "bytes=1400-"));
}

TEST(RegistryClientTest, ServerIgnoringRangeStillGivesTheRightBytes) {
  BlobServer server;
  server.honour_range = false;
  Registry reg("r.test", Opts(&server.fake));
  std::string got;
  ASSERT_OK(reg.FetchBlob("a", server.digest, -1, [&](absl::string_view d) {
    got.append(d.data(), d.size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(got, server.blob);
}

TEST(RegistryClientTest, RejectsContentThatDoesNotMatchTheDigest) {
  BlobServer server;
  server.drops = 0;
  Registry reg("r.test", Opts(&server.fake));
  oci::Digest other = oci::Digest::Of("something else");
  EXPECT_THAT(reg.FetchBlob("a", other, server.blob.size(),
                            [](absl::string_view) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("hashes to " + server.digest.str())));
  EXPECT_THAT(reg.FetchBlob("a", server.digest, 10,
                            [](absl::string_view) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("more than the expected 10 bytes")));
}

// A registry that accepts chunked uploads, drops the first PATCH after storing part of it, and
// reports the stored offset (with the "0-0" quirk for an empty upload).
struct UploadServer {
  std::string stored;
  bool dropped = false;
  bool mount_ok = false;
  size_t partial = 100;  // bytes of the dropped PATCH the registry keeps
  std::vector<std::string> log;
  FakeTransport fake{[this](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    std::string p = Path(r.url);
    log.push_back(absl::StrCat(r.method, " ", p.substr(0, p.find('?'))));
    if (p == "/v2/") return Response(200);
    if (r.method == "HEAD") return Response(404);
    if (r.method == "POST") {
      if (absl::StrContains(p, "mount=") && mount_ok) return Response(201);
      return Response(202, "", {{"Location", "/v2/a/blobs/uploads/u1?_state=s"}});
    }
    auto range = [this] {
      return stored.empty() ? std::string("0-0") : absl::StrCat("0-", stored.size() - 1);
    };
    if (r.method == "GET") return Response(204, "", {{"Range", range()}, {"Location", "/v2/a/blobs/uploads/u1?_state=t"}});
    if (r.method == "PATCH") {
      std::string cr = r.Header("Content-Range");
      if (cr.substr(0, cr.find('-')) != absl::StrCat(stored.size())) return Response(416);
      if (!dropped) {
        dropped = true;
        stored += r.body.substr(0, partial);
        return absl::UnavailableError("fake: connection reset");
      }
      stored += r.body;
      return Response(202, "", {{"Range", range()}, {"Location", "/v2/a/blobs/uploads/u1?_state=x"}});
    }
    if (r.method == "PUT") {
      stored += r.body;
      std::string want = p.substr(p.find("digest=") + 7);
      if (oci::Digest::Of(stored).str() != want) {
        return Response(400, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
      }
      return Response(201, "", {{"Docker-Content-Digest", want}});
    }
    return Response(405);
  }};
};

TEST(RegistryClientTest, ChunkedUploadResumesFromReportedOffset) {
  UploadServer server;
  RegistryOptions o = Opts(&server.fake);
  o.monolithic_limit = 100;
  o.chunk_size = 256;
  Registry reg("r.test", o);
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7));
  oci::Descriptor d;
  d.digest = oci::Digest::Of(data);
  d.size = data.size();
  auto open = [&data](int64_t off, int64_t len) -> absl::StatusOr<std::unique_ptr<ByteSource>> {
    return std::unique_ptr<ByteSource>(new StringSource(data.substr(off, len)));
  };
  ASSERT_OK_AND_ASSIGN(UploadOutcome out, reg.PushBlob("a", d, open));
  EXPECT_EQ(out, UploadOutcome::kUploaded);
  EXPECT_EQ(server.stored, data);
  EXPECT_THAT(server.log, ::testing::Contains("GET /v2/a/blobs/uploads/u1"));
}

TEST(RegistryClientTest, ChunkedUploadFromEmptyOffsetAfterDrop) {
  UploadServer server;
  RegistryOptions o = Opts(&server.fake);
  o.monolithic_limit = 10;
  o.chunk_size = 64;
  server.partial = 0;
  Registry reg("r.test", o);
  // The first PATCH of a 50-byte blob is dropped before the registry stores anything, so it then
  // reports "0-0": the upload must restart at offset 0, not 1.
  std::string data(50, 'q');
  oci::Descriptor d;
  d.digest = oci::Digest::Of(data);
  d.size = data.size();
  auto open = [&data](int64_t off, int64_t len) -> absl::StatusOr<std::unique_ptr<ByteSource>> {
    return std::unique_ptr<ByteSource>(new StringSource(data.substr(off, len)));
  };
  ASSERT_OK(reg.PushBlob("a", d, open).status());
  EXPECT_EQ(server.stored, data);
}

TEST(RegistryClientTest, MountsAcrossRepositories) {
  UploadServer server;
  server.mount_ok = true;
  Registry reg("r.test", Opts(&server.fake));
  oci::Descriptor d;
  d.digest = oci::Digest::Of("x");
  d.size = 1;
  ASSERT_OK_AND_ASSIGN(UploadOutcome out, reg.PushBlob("a", d, nullptr, "b"));
  EXPECT_EQ(out, UploadOutcome::kMounted);
  auto reqs = server.fake.requests();
  EXPECT_THAT(reqs.back().url, HasSubstr("mount=" + d.digest.str() + "&from=b"));
}

TEST(RegistryClientTest, ManifestByDigestIsVerified) {
  const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
  FakeTransport fake([&](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    if (Path(r.url) == "/v2/") return Response(200);
    EXPECT_THAT(r.Header("Accept"), HasSubstr(std::string(oci::kDockerManifestList)));
    return Response(200, body, {{"Content-Type", std::string(oci::kOciManifest)}});
  });
  Registry reg("r.test", Opts(&fake));
  ASSERT_OK_AND_ASSIGN(ManifestBlob m, reg.GetManifest("a", "latest"));
  EXPECT_EQ(m.digest, oci::Digest::Of(body));
  EXPECT_EQ(m.media_type, oci::kOciManifest);
  EXPECT_THAT(reg.GetManifest("a", oci::Digest::Of("other").str()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("hashes to")));
}

TEST(RegistryClientTest, LoopbackProbesHttpFirstThenHttps) {
  std::vector<std::string> urls;
  FakeTransport fake([&](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    urls.push_back(r.url);
    if (absl::StartsWith(r.url, "http://")) return Response(400, "Client sent an HTTP request to an HTTPS server.");
    return Response(401, "", {{"WWW-Authenticate", R"(Basic realm="r")"}});
  });
  RegistryOptions o;
  o.transport = &fake;
  Registry reg("127.0.0.1:5000", o);
  ASSERT_OK_AND_ASSIGN(std::string base, reg.BaseUrl());
  EXPECT_EQ(base, "https://127.0.0.1:5000");
  EXPECT_THAT(urls, ElementsAre("http://127.0.0.1:5000/v2/", "https://127.0.0.1:5000/v2/"));
  // A remote host is never spoken to over plain http unless named insecure.
  urls.clear();
  Registry remote("registry.example", o);
  ASSERT_OK(remote.Ping());
  EXPECT_THAT(urls, ElementsAre("https://registry.example/v2/"));
}

}  // namespace
}  // namespace pusher
