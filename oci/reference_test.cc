#include "oci/reference.h"

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

struct Good {
  std::string input;
  std::string registry, repository, tag, digest, canonical, familiar;
};

TEST(ReferenceTest, ParsesAndNormalises) {
  const Good cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "",
       "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
       "user/app:latest"},
      {"a/b/c", "docker.io", "a/b/c", "latest", "", "docker.io/a/b/c:latest", "a/b/c:latest"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "",
       "docker.io/library/a/b:latest", "library/a/b:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest",
       "localhost/app:latest"},
      {"localhost:5000/a/b:t", "localhost:5000", "a/b", "t", "", "localhost:5000/a/b:t",
       "localhost:5000/a/b:t"},
      {"127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", "", "127.0.0.1:5000/x:latest",
       "127.0.0.1:5000/x:latest"},
      {"[::1]:5000/x", "[::1]:5000", "x", "latest", "", "[::1]:5000/x:latest",
       "[::1]:5000/x:latest"},
      {"[fe80::1]/x:v", "[fe80::1]", "x", "v", "", "[fe80::1]/x:v", "[fe80::1]/x:v"},
      {"ghcr.io/o/r", "ghcr.io", "o/r", "latest", "", "ghcr.io/o/r:latest",
       "ghcr.io/o/r:latest"},
      {"my-registry.example.com:443/team/app", "my-registry.example.com:443", "team/app", "latest",
       "", "my-registry.example.com:443/team/app:latest",
       "my-registry.example.com:443/team/app:latest"},
      // Uppercase first component is a domain (as Docker decides), so this is a valid name.
      {"Example/app", "Example", "app", "latest", "", "Example/app:latest", "Example/app:latest"},
      // `foo:5000` without a slash is a name with tag 5000.
      {"foo:5000", "docker.io", "library/foo", "5000", "", "docker.io/library/foo:5000",
       "foo:5000"},
      {"repo@" + kDigest, "docker.io", "library/repo", "", kDigest,
       "docker.io/library/repo@" + kDigest, "repo@" + kDigest},
      {"repo:tag@" + kDigest, "docker.io", "library/repo", "tag", kDigest,
       "docker.io/library/repo:tag@" + kDigest, "repo:tag@" + kDigest},
      {"localhost:5000/a@" + kDigest, "localhost:5000", "a", "", kDigest,
       "localhost:5000/a@" + kDigest, "localhost:5000/a@" + kDigest},
      {"a_b/c__d/e.f/g--h/i---j", "docker.io", "a_b/c__d/e.f/g--h/i---j", "latest", "",
       "docker.io/a_b/c__d/e.f/g--h/i---j:latest", "a_b/c__d/e.f/g--h/i---j:latest"},
      {"app:_under.sc-ore", "docker.io", "library/app", "_under.sc-ore", "",
       "docker.io/library/app:_under.sc-ore", "app:_under.sc-ore"},
      {"app:" + std::string(128, 'x'), "docker.io", "library/app", std::string(128, 'x'), "",
       "docker.io/library/app:" + std::string(128, 'x'), "app:" + std::string(128, 'x')},
      {"a-b.c/x", "a-b.c", "x", "latest", "", "a-b.c/x:latest", "a-b.c/x:latest"},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.input);
    ASSERT_OK_AND_ASSIGN(Reference r, Reference::Parse(c.input));
    EXPECT_EQ(r.registry, c.registry);
    EXPECT_EQ(r.repository, c.repository);
    EXPECT_EQ(r.tag, c.tag);
    EXPECT_EQ(r.digest.str(), c.digest);
    EXPECT_EQ(r.ToString(), c.canonical);
    EXPECT_EQ(r.Familiar(), c.familiar);
    // The canonical form parses to the same reference.
    ASSERT_OK_AND_ASSIGN(Reference again, Reference::Parse(r.ToString()));
    EXPECT_EQ(again, r);
  }
}

struct Bad {
  std::string input;
  std::string reason;
};

TEST(ReferenceTest, RefusesWithReason) {
  const Bad cases[] = {
      {"", "at least one component"},
      {"Busybox", "must be lowercase"},
      {"docker.io/Library/busybox", "must be lowercase"},
      {"localhost:5000/A/b", "must be lowercase"},
      {"app:" + std::string(129, 'x'), "tag is 129 characters, at most 128"},
      {"app:", "empty tag"},
      {"app:.x", "must start with a letter, digit or `_`"},
      {"app:-x", "must start with"},
      {"app:a+b", "contains `+`"},
      {"app@", "`@` must be followed by a digest"},
      {"app@sha256:abc", "sha256 needs 64 hex characters"},
      {"app@sha512:" + std::string(128, 'a'), "unsupported digest algorithm `sha512`"},
      {"app@sha256:" + std::string(64, 'A'), "uppercase hex"},
      {"app@" + kHex, "missing `:`"},
      {kHex, "64-character hexadecimal"},
      {"a//b", "empty path component"},
      {"/a", "empty path component"},
      {"a/", "empty path component"},
      {"localhost:5000/", "at least one component"},
      {"a/b:", "empty tag"},
      {"-a/b", "must start with a lowercase letter or digit"},
      {"a-/b", "must end with"},
      {"a..b", "invalid separator `..`"},
      {"a___b", "invalid separator `___`"},
      {"a._b", "invalid separator `._`"},
      {"a b", "contains ` `"},
      {"foo:bar/baz", "is not a number"},
      {"localhost:/x", "empty port"},
      {"-bad.io/x", "invalid domain"},
      {"bad-.io/x", "invalid domain"},
      {"a..io/x", "invalid domain"},
      {"[::1/x", "lacks `]`"},
      {"[::g]/x", "contains `g`"},
      {"[]:5000/x", "empty IPv6"},
      {"r.io/" + std::string(251, 'a'), "is 256 characters, at most 255 are allowed"},
      {"a:b@" + kDigest + "@" + kDigest, "invalid digest"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_THAT(Reference::Parse(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.reason)));
  }
}

TEST(ReferenceTest, NameLengthIncludesDomain) {
  // docker.io/library/ + 237 = 255: allowed; one more is refused.
  EXPECT_OK(Reference::Parse(std::string(237, 'a')));
  EXPECT_THAT(Reference::Parse(std::string(238, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is 256 characters")));
}

TEST(ReferenceTest, Accessors) {
  ASSERT_OK_AND_ASSIGN(Reference hub, Reference::Parse("busybox"));
  EXPECT_EQ(hub.Name(), "docker.io/library/busybox");
  EXPECT_EQ(hub.ApiHost(), "registry-1.docker.io");
  EXPECT_EQ(hub.Identifier(), "latest");
  ASSERT_OK_AND_ASSIGN(Reference pinned, Reference::Parse("localhost:5000/x@" + kDigest));
  EXPECT_EQ(pinned.ApiHost(), "localhost:5000");
  EXPECT_EQ(pinned.Identifier(), kDigest);
}

TEST(ImageLocationTest, Transports) {
  ASSERT_OK_AND_ASSIGN(ImageLocation oci, ImageLocation::Parse("oci:/tmp/out:v1"));
  EXPECT_EQ(oci.kind, ImageLocation::Kind::kOciLayout);
  EXPECT_EQ(oci.path, "/tmp/out");
  EXPECT_EQ(oci.tag, "v1");
  EXPECT_EQ(oci.name, "v1");
  EXPECT_EQ(oci.ToString(), "oci:/tmp/out:v1");

  ASSERT_OK_AND_ASSIGN(ImageLocation no_tag, ImageLocation::Parse("oci:out"));
  EXPECT_EQ(no_tag.path, "out");
  EXPECT_EQ(no_tag.tag, "");
  EXPECT_EQ(no_tag.ToString(), "oci:out");

  // The last `:` part is not a valid tag, so everything is the directory.
  ASSERT_OK_AND_ASSIGN(ImageLocation colon_dir, ImageLocation::Parse("oci:/a:b/c"));
  EXPECT_EQ(colon_dir.path, "/a:b/c");
  EXPECT_EQ(colon_dir.tag, "");
  ASSERT_OK_AND_ASSIGN(ImageLocation two, ImageLocation::Parse("oci:/a:b/c:t"));
  EXPECT_EQ(two.path, "/a:b/c");
  EXPECT_EQ(two.tag, "t");
  // Empty DIR before the colon: the whole thing is the directory.
  ASSERT_OK_AND_ASSIGN(ImageLocation odd, ImageLocation::Parse("oci::t"));
  EXPECT_EQ(odd.path, ":t");
  EXPECT_THAT(ImageLocation::Parse("oci:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing directory")));
  EXPECT_THAT(ImageLocation::Parse("oci:dir:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty tag")));

  ASSERT_OK_AND_ASSIGN(ImageLocation archive, ImageLocation::Parse("docker-archive:/x/img.tar"));
  EXPECT_EQ(archive.kind, ImageLocation::Kind::kDockerArchive);
  EXPECT_EQ(archive.path, "/x/img.tar");
  EXPECT_EQ(archive.ToString(), "docker-archive:/x/img.tar");
  EXPECT_EQ(archive.tag, "");
  EXPECT_THAT(ImageLocation::Parse("docker-archive:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing file")));
  // docker-archive:FILE:REF names the image in the archive, as skopeo reads it.
  ASSERT_OK_AND_ASSIGN(ImageLocation named, ImageLocation::Parse("docker-archive:/x/img.tar:app:1.0"));
  EXPECT_EQ(named.path, "/x/img.tar");
  EXPECT_EQ(named.tag, "app:1.0");
  EXPECT_EQ(named.ToString(), "docker-archive:/x/img.tar:app:1.0");
  ASSERT_OK_AND_ASSIGN(ImageLocation hosted,
                       ImageLocation::Parse("docker-archive:img.tar:localhost:5000/team/app:2"));
  EXPECT_EQ(hosted.path, "img.tar");
  EXPECT_EQ(hosted.tag, "localhost:5000/team/app:2");
  ASSERT_OK_AND_ASSIGN(ImageLocation bare, ImageLocation::Parse("docker-archive:img.tar:app"));
  EXPECT_EQ(bare.path, "img.tar");
  EXPECT_EQ(bare.tag, "app");
  // What follows the colon is not a reference without a digest: all of it is the file.
  ASSERT_OK_AND_ASSIGN(ImageLocation upper, ImageLocation::Parse("docker-archive:/x/a:B.tar"));
  EXPECT_EQ(upper.path, "/x/a:B.tar");
  EXPECT_EQ(upper.tag, "");
  ASSERT_OK_AND_ASSIGN(ImageLocation digest,
                       ImageLocation::Parse(absl::StrCat("docker-archive:f.tar:app@sha256:",
                                                         std::string(64, 'a'))));
  EXPECT_EQ(digest.path, absl::StrCat("f.tar:app@sha256:", std::string(64, 'a')));
  EXPECT_THAT(ImageLocation::Parse("docker-archive:img.tar:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty reference")));

  ASSERT_OK_AND_ASSIGN(ImageLocation local, ImageLocation::Parse("local:app"));
  EXPECT_EQ(local.kind, ImageLocation::Kind::kLocalStore);
  EXPECT_EQ(local.name, "app");
  EXPECT_EQ(local.tag, "latest");
  EXPECT_EQ(local.ToString(), "local:app:latest");
  ASSERT_OK_AND_ASSIGN(ImageLocation local2, ImageLocation::Parse("local:team/app:v2"));
  EXPECT_EQ(local2.name, "team/app");
  EXPECT_EQ(local2.tag, "v2");
  EXPECT_THAT(ImageLocation::Parse("local:App"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be lowercase")));
  EXPECT_THAT(ImageLocation::Parse("local:app:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty tag")));
  EXPECT_THAT(ImageLocation::Parse("local::v1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing name")));

  ASSERT_OK_AND_ASSIGN(ImageLocation reg, ImageLocation::Parse("localhost:5000/a:b"));
  EXPECT_EQ(reg.kind, ImageLocation::Kind::kRegistry);
  EXPECT_EQ(reg.registry_ref.ToString(), "localhost:5000/a:b");
  EXPECT_EQ(reg.ToString(), "localhost:5000/a:b");
  ASSERT_OK_AND_ASSIGN(ImageLocation reg2, ImageLocation::Parse("docker://busybox"));
  EXPECT_EQ(reg2.registry_ref.ToString(), "docker.io/library/busybox:latest");
  EXPECT_THAT(ImageLocation::Parse("Busybox"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lowercase")));
}

}  // namespace
}  // namespace oci
