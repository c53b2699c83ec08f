#include "pusher/mirrors.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pusher/notify.h"
#include "pusher/progress.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

TEST(MirrorsTest, ParsesPerRegistryMirrorsAndDockerHubDefault) {
  ASSERT_OK_AND_ASSIGN(MirrorConfig c, ParseMirrorConfig(R"({
    "registry-mirrors": ["https://hub-mirror.example/"],
    "insecure-registries": ["10.0.0.5:5000"],
    "registries": {"127.0.0.1:5000": {"registry-mirrors": ["http://127.0.0.1:5001", "m2:443"],
                                      "no-fallback": true}}})", "cfg.json"));
  RegistryMirrors hub = c.For("docker.io");
  ASSERT_EQ(hub.mirrors.size(), 1u);
  EXPECT_EQ(hub.mirrors[0].host, "hub-mirror.example");
  EXPECT_EQ(hub.mirrors[0].scheme, "https");
  EXPECT_FALSE(hub.no_fallback);
  RegistryMirrors local = c.For("127.0.0.1:5000");
  ASSERT_EQ(local.mirrors.size(), 2u);
  EXPECT_EQ(local.mirrors[0].scheme, "http");
  EXPECT_EQ(local.mirrors[1].host, "m2:443");
  EXPECT_TRUE(local.no_fallback);
  EXPECT_TRUE(c.For("other").mirrors.empty());
  EXPECT_EQ(c.insecure_registries.count("10.0.0.5:5000"), 1u);
}

TEST(MirrorsTest, RejectsBadEntriesNamingThem) {
  EXPECT_THAT(ParseMirrorConfig(R"({"registries": {"r": {"registry-mirrors": "x"}}})", "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("registries.r.registry-mirrors")));
  EXPECT_THAT(ParseMirrorConfig(R"({"registries": {"r": {"no-fallback": "yes"}}})", "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no-fallback")));
  EXPECT_THAT(ParseMirrorConfig(R"({"registry-mirrors": ["https://m/some/path"]})", "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a registry URL")));
  EXPECT_THAT(ParseMirrorConfig("[]", "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c.json")));
}

TEST(MirrorsTest, MissingFileIsEmpty) {
  ASSERT_OK_AND_ASSIGN(MirrorConfig c, LoadMirrorConfig("/nonexistent/slipway/config.json"));
  EXPECT_TRUE(c.registries.empty());
}

TEST(NotifyTest, EncodesTheEvent) {
  PushEvent e{"r:5000/app", "1.0", "sha256:ab", absl::FromUnixSeconds(86400)};
  EXPECT_EQ(EncodePushEvent(e),
            R"({"repository":"r:5000/app","tag":"1.0","digest":"sha256:ab","time":"1970-01-02T00:00:00Z"})");
}

TEST(ProgressTest, PlainLinesWhenNotATerminal) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  {
    auto p = NewProgress(ProgressMode::kAuto, out, absl::ZeroDuration());
    p->Begin("sha256:1", "abc", 2000000);
    p->Update("sha256:1", 1000000);
    p->End("sha256:1", "done");
    p->Message("pushed x");
  }
  fclose(out);
  std::string text(buf, len);
  free(buf);
  EXPECT_THAT(text, HasSubstr("abc: 1.0 MB / 2.0 MB"));
  EXPECT_THAT(text, HasSubstr("abc: done (2.0 MB)"));
  EXPECT_THAT(text, HasSubstr("pushed x\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\x1b[")));
  EXPECT_EQ(HumanBytes(999), "999 B");
  EXPECT_EQ(HumanBytes(1500000000), "1.5 GB");
}

TEST(ProgressTest, TtyRedrawsInPlace) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  {
    auto p = NewProgress(ProgressMode::kTty, out);
    p->Begin("a", "layer-a", 100);
    p->Begin("b", "layer-b", 100);
    p->End("a", "done");
  }
  fclose(out);
  std::string text(buf, len);
  free(buf);
  EXPECT_THAT(text, HasSubstr("\x1b[2A"));  // cursor up over the two bars
  EXPECT_THAT(text, HasSubstr("layer-a [==="));
}

}  // namespace
}  // namespace pusher
