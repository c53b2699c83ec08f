#include "pusher/transport/curl_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

// A one-connection HTTP/1.1 server on 127.0.0.1 that records the request and sends `reply`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[65536];
      // Read headers, then Content-Length bytes of body.
      while (received_.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        received_.append(buf, n);
      }
      size_t cl = received_.find("Content-Length: ");
      size_t header_end = received_.find("\r\n\r\n") + 4;
      if (cl != std::string::npos) {
        size_t want = std::stoul(received_.substr(cl + 16));
        while (received_.size() < header_end + want) {
          ssize_t n = read(c, buf, sizeof(buf));
          if (n <= 0) break;
          received_.append(buf, n);
        }
      }
      (void)!write(c, reply_.data(), reply_.size());
      close(c);
    });
  }
  ~OneShotServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string received() {
    thread_.join();
    thread_ = std::thread([] {});
    return received_;
  }

 private:
  std::string reply_;
  int fd_;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

TEST(CurlTransportTest, StreamsBodiesBothWaysAndParsesHeaders) {
  OneShotServer server(
      "HTTP/1.1 201 Created\r\nLocation: /v2/a/blobs/x\r\nDocker-Content-Digest: sha256:ab\r\n"
      "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
  CurlTransport transport;
  StringSource body(std::string(100000, 'z'));
  HttpRequest req;
  req.method = "PUT";
  req.url = absl::StrCat("http://127.0.0.1:", server.port(), "/v2/a/blobs/uploads/1?digest=d");
  req.body_source = &body;
  req.headers.emplace_back("Content-Type", "application/octet-stream");
  std::string sunk;
  req.response_sink = [&sunk](absl::string_view d) {
    sunk.append(d.data(), d.size());
    return absl::OkStatus();
  };
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, transport.RoundTrip(req));
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.Header("location"), "/v2/a/blobs/x");
  EXPECT_EQ(resp.Header("Docker-Content-Digest"), "sha256:ab");
  EXPECT_EQ(sunk, "hello");
  EXPECT_EQ(resp.streamed_bytes, 5);
  std::string got = server.received();
  EXPECT_TRUE(absl::StartsWith(got, "PUT /v2/a/blobs/uploads/1?digest=d HTTP/1.1\r\n")) << got;
  EXPECT_THAT(got, HasSubstr("Content-Length: 100000"));
  EXPECT_THAT(got, HasSubstr(std::string(100000, 'z')));
  EXPECT_THAT(got, ::testing::Not(HasSubstr("Expect:")));
}

TEST(CurlTransportTest, ErrorBodiesAreNotStreamedToTheSink) {
  OneShotServer server(
      "HTTP/1.1 404 Not Found\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{\"errors\":[]}   ");
  CurlTransport transport;
  HttpRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", server.port(), "/v2/a/blobs/sha256:x");
  bool called = false;
  req.response_sink = [&called](absl::string_view) {
    called = true;
    return absl::OkStatus();
  };
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, transport.RoundTrip(req));
  EXPECT_EQ(resp.status, 404);
  EXPECT_FALSE(called);
  EXPECT_EQ(resp.body, "{\"errors\":[]}   ");
}

TEST(CurlTransportTest, TruncatedBodyIsUnavailable) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort");
  CurlTransport transport;
  HttpRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", server.port(), "/x");
  EXPECT_THAT(transport.RoundTrip(req), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/x")));
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    OneShotServer server("");
    port = server.port();
  }
  CurlTransport transport;
  HttpRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", port, "/v2/");
  EXPECT_THAT(transport.RoundTrip(req),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("GET `http://127.0.0.1")));
}

TEST(CurlTransportTest, RejectsOtherSchemes) {
  CurlTransport transport;
  HttpRequest req;
  req.url = "file:///etc/passwd";
  EXPECT_THAT(transport.RoundTrip(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported URL")));
}

}  // namespace
}  // namespace pusher
