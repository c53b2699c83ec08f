#include "pusher/transport/http.h"

#include "gtest/gtest.h"

namespace pusher {
namespace {

TEST(UrlHostTest, KeepsHostAndPortOnly) {
  EXPECT_EQ(UrlHost("https://registry.example:5000/v2/app/manifests/1"), "registry.example:5000");
  EXPECT_EQ(UrlHost("http://127.0.0.1:5001"), "127.0.0.1:5001");
  EXPECT_EQ(UrlHost("https://auth.example/token?service=r&scope=x"), "auth.example");
  EXPECT_EQ(UrlHost("https://h.example#frag"), "h.example");
  EXPECT_EQ(UrlHost("registry.example:5000/v2/"), "registry.example:5000");
}

TEST(UrlHostTest, DropsUserinfo) {
  EXPECT_EQ(UrlHost("https://user:secret@registry.example:5000/v2/"), "registry.example:5000");
  EXPECT_EQ(UrlHost("https://a@b@host/x"), "host");
}

TEST(RedactUrlTest, DropsQueryFragmentAndUserinfo) {
  EXPECT_EQ(RedactUrl("https://user:pw@h.example/v2/uploads/1?_state=abc#x"),
            "https://h.example/v2/uploads/1");
}

}  // namespace
}  // namespace pusher
