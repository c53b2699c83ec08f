#include "oci/layout/layout.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/media_types.h"

namespace oci {
namespace {

Platform Plat(const std::string& arch, const std::string& variant = "") {
  Platform p;
  p.os = "linux";
  p.architecture = arch;
  p.variant = variant;
  return p;
}

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class LayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("layout-test-"));
    tmp_.emplace(std::move(tmp));
    dir_ = tmp_->path() + "/store";
  }

  std::unique_ptr<Layout> OpenOrDie(base::Env* env = nullptr) {
    LayoutOptions options;
    options.env = env;
    absl::StatusOr<std::unique_ptr<Layout>> layout = Layout::Open(dir_, options);
    EXPECT_OK(layout);
    return layout.ok() ? *std::move(layout) : nullptr;
  }

  std::vector<std::string> List(const std::string& sub) {
    absl::StatusOr<std::vector<std::string>> names = base::Env::Default()->ListDir(dir_ + "/" + sub);
    return names.ok() ? *names : std::vector<std::string>{};
  }

  // A one-layer image; `seed` makes its content unique.
  Descriptor WriteTestImage(Layout& layout, const std::string& seed,
                            const std::string& arch = "amd64") {
    absl::StatusOr<Descriptor> layer = layout.WriteBlob("layer-" + seed, kOciLayer);
    EXPECT_OK(layer);
    ImageConfig config;
    config.os = "linux";
    config.architecture = arch;
    config.diff_ids.push_back(layer->digest);
    config.config.cmd = std::vector<std::string>{"echo", seed};
    absl::StatusOr<Descriptor> manifest = WriteImage(layout, config, {*layer}, kOciManifest);
    EXPECT_OK(manifest);
    return *manifest;
  }

  std::optional<base::ScopedTempDir> tmp_;
  std::string dir_;
};

TEST_F(LayoutTest, CreatesAnEmptyLayout) {
  auto layout = OpenOrDie();
  base::Env* env = base::Env::Default();
  ASSERT_OK_AND_ASSIGN(std::string marker, env->ReadFile(dir_ + "/oci-layout"));
  EXPECT_THAT(marker, HasSubstr("\"imageLayoutVersion\":\"1.0.0\""));
  ASSERT_OK_AND_ASSIGN(Index index, layout->ReadIndex());
  EXPECT_THAT(index.manifests, IsEmpty());
  EXPECT_TRUE(env->IsDirectory(dir_ + "/blobs/sha256"));
  // Opening again keeps what is there.
  Descriptor m = WriteTestImage(*layout, "a");
  ASSERT_OK(layout->Tag(m, "v1"));
  auto again = OpenOrDie();
  EXPECT_OK(again->Resolve("v1"));
}

TEST_F(LayoutTest, OpenWithoutCreateRefusesAFolderThatIsNotALayout) {
  LayoutOptions options;
  options.create = false;
  EXPECT_THAT(Layout::Open(tmp_->path(), options).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("oci-layout")));
}

TEST_F(LayoutTest, WritesAndReadsBlobs) {
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor d, layout->WriteBlob("hello", "text/plain"));
  EXPECT_EQ(d.digest, Digest::Of("hello"));
  EXPECT_EQ(d.size, 5);
  EXPECT_EQ(d.media_type, "text/plain");
  EXPECT_TRUE(layout->HasBlob(d.digest));
  EXPECT_EQ(layout->BlobPath(d.digest), dir_ + "/blobs/sha256/" + std::string(d.digest.hex()));
  ASSERT_OK_AND_ASSIGN(std::string back, layout->ReadBlob(d.digest));
  EXPECT_EQ(back, "hello");
  // Streaming read.
  ASSERT_OK_AND_ASSIGN(auto reader, layout->OpenBlob(d.digest));
  EXPECT_EQ(reader->size(), 5);
  std::string streamed;
  char buf[2];
  while (true) {
    ASSERT_OK_AND_ASSIGN(size_t n, reader->Read(buf, sizeof(buf)));
    if (n == 0) break;
    streamed.append(buf, n);
  }
  EXPECT_EQ(streamed, "hello");
  EXPECT_THAT(layout->ReadBlob(Digest::Of("absent")).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(std::string(Digest::Of("absent").hex()))));
  // Nothing left behind in the ingest folder.
  EXPECT_THAT(List("blobs/.ingest"), IsEmpty());
}

TEST_F(LayoutTest, BlobWriterVerifiesTheExpectedDigest) {
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(auto writer, layout->NewBlobWriter());
  ASSERT_OK(writer->Write("abc"));
  ASSERT_OK(writer->Write("def"));
  EXPECT_EQ(writer->size(), 6);
  EXPECT_THAT(writer->Commit(Digest::Of("abcdefg")).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(Digest::Of("abcdef").str())));
  EXPECT_FALSE(layout->HasBlob(Digest::Of("abcdef")));
  EXPECT_FALSE(layout->HasBlob(Digest::Of("abcdefg")));
  EXPECT_THAT(List("blobs/.ingest"), IsEmpty());

  ASSERT_OK_AND_ASSIGN(auto ok_writer, layout->NewBlobWriter());
  ASSERT_OK(ok_writer->Write("abcdef"));
  ASSERT_OK_AND_ASSIGN(Digest d, ok_writer->Commit(Digest::Of("abcdef")));
  EXPECT_EQ(d, Digest::Of("abcdef"));
  EXPECT_TRUE(layout->HasBlob(d));
}

TEST_F(LayoutTest, AbandonedBlobWriterLeavesNothing) {
  auto layout = OpenOrDie();
  {
    ASSERT_OK_AND_ASSIGN(auto writer, layout->NewBlobWriter());
    ASSERT_OK(writer->Write("half a blob"));
    EXPECT_THAT(List("blobs/.ingest"), SizeIs(1));
  }
  EXPECT_THAT(List("blobs/.ingest"), IsEmpty());
  EXPECT_THAT(List("blobs/sha256"), IsEmpty());
}

TEST_F(LayoutTest, TamperedBlobIsDataLoss) {
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor d, layout->WriteBlob("original content", "text/plain"));
  std::string path = layout->BlobPath(d.digest);
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(path, "tampered content", 0644));
  EXPECT_THAT(layout->ReadBlob(d.digest).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
  ASSERT_OK_AND_ASSIGN(auto reader, layout->OpenBlob(d.digest));
  char buf[64];
  absl::Status end;
  while (true) {
    absl::StatusOr<size_t> n = reader->Read(buf, sizeof(buf));
    if (!n.ok()) {
      end = n.status();
      break;
    }
    if (*n == 0) break;
  }
  EXPECT_THAT(end, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(d.digest.str())));
  // A tampered manifest makes ReadImage fail too.
  Descriptor m = WriteTestImage(*layout, "x");
  ASSERT_OK(layout->Tag(m, "x"));
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(layout->BlobPath(m.digest), "{}", 0644));
  EXPECT_THAT(ReadImage(*layout, "x").status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x")));
}

TEST_F(LayoutTest, CopyImageBlobsMakesTheImageReadableFromTheOtherLayout) {
  std::unique_ptr<Layout> from = OpenOrDie();
  ASSERT_NE(from, nullptr);
  Descriptor manifest = WriteTestImage(*from, "copy");
  ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*from, manifest.digest.str()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Layout> to, Layout::Open(tmp_->path() + "/other"));
  ASSERT_OK(CopyImageBlobs(*from, *to, image));
  ASSERT_OK(to->Tag(manifest, "copied"));
  ASSERT_OK_AND_ASSIGN(ImageRef copied, ReadImage(*to, "copied"));
  EXPECT_EQ(copied.manifest_descriptor.digest, manifest.digest);
  EXPECT_EQ(copied.config.config.cmd, image.config.config.cmd);
  // A blob the source does not hold is NotFound, and names the digest.
  Digest missing = Digest::Of("not there");
  EXPECT_THAT(CopyBlob(*from, *to, missing),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing.str())));
}

TEST_F(LayoutTest, TagsResolveListAndUntag) {
  auto layout = OpenOrDie();
  Descriptor a = WriteTestImage(*layout, "a");
  Descriptor b = WriteTestImage(*layout, "b");
  ASSERT_OK(layout->Tag(a, "zeta"));
  ASSERT_OK(layout->Tag(a, "alpha"));
  ASSERT_OK(layout->Tag(b, "zeta"));  // moves zeta
  ASSERT_OK_AND_ASSIGN(auto tags, layout->ListTags());
  ASSERT_THAT(tags, SizeIs(2));
  EXPECT_EQ(tags[0].first, "alpha");
  EXPECT_EQ(tags[0].second.digest, a.digest);
  EXPECT_EQ(tags[1].first, "zeta");
  EXPECT_EQ(tags[1].second.digest, b.digest);
  EXPECT_EQ(tags[1].second.annotations.at(kRefNameAnnotation), "zeta");
  ASSERT_OK_AND_ASSIGN(Descriptor z, layout->Resolve("zeta"));
  EXPECT_EQ(z.digest, b.digest);
  EXPECT_EQ(z.media_type, kOciManifest);
  ASSERT_OK(layout->Untag("zeta"));
  EXPECT_THAT(layout->Resolve("zeta").status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("zeta")));
  EXPECT_THAT(layout->Untag("zeta"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("zeta")));
  Descriptor missing = a;
  missing.digest = Digest::Of("not stored");
  EXPECT_THAT(layout->Tag(missing, "m"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                  HasSubstr("not a blob")));
  EXPECT_THAT(layout->Tag(a, ""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

// Fails the Nth call of one kind, to prove a failed step leaves the store as it was.
class FaultEnv : public base::EnvWrapper {
 public:
  FaultEnv() : base::EnvWrapper(base::Env::Default()) {}
  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (fail_rename) return absl::UnavailableError("injected rename failure");
    return base::EnvWrapper::Rename(from, to);
  }
  absl::Status WriteFileAtomically(const std::string& path, absl::string_view data,
                                   mode_t mode) override {
    if (fail_atomic_write) return absl::UnavailableError("injected index write failure");
    return base::EnvWrapper::WriteFileAtomically(path, data, mode);
  }
  std::atomic<bool> fail_rename{false};
  std::atomic<bool> fail_atomic_write{false};
};

TEST_F(LayoutTest, FailedRenameLeavesTheStoreUnchanged) {
  FaultEnv env;
  auto layout = OpenOrDie(&env);
  Descriptor a = WriteTestImage(*layout, "a");
  ASSERT_OK(layout->Tag(a, "v1"));
  std::vector<std::string> blobs_before = List("blobs/sha256");
  ASSERT_OK_AND_ASSIGN(std::string index_before, env.ReadFile(dir_ + "/index.json"));

  env.fail_rename = true;
  EXPECT_THAT(layout->WriteBlob("new blob", "text/plain").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected rename failure")));
  env.fail_rename = false;
  EXPECT_FALSE(layout->HasBlob(Digest::Of("new blob")));
  EXPECT_EQ(List("blobs/sha256"), blobs_before);
  EXPECT_THAT(List("blobs/.ingest"), IsEmpty());

  Descriptor b = WriteTestImage(*layout, "b");
  env.fail_atomic_write = true;
  EXPECT_THAT(layout->Tag(b, "v1"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("index.json")));
  env.fail_atomic_write = false;
  ASSERT_OK_AND_ASSIGN(std::string index_after, env.ReadFile(dir_ + "/index.json"));
  EXPECT_EQ(index_after, index_before);
  ASSERT_OK_AND_ASSIGN(Descriptor v1, layout->Resolve("v1"));
  EXPECT_EQ(v1.digest, a.digest);
}

TEST_F(LayoutTest, TwoProcessesTaggingConcurrentlyBothLand) {
  { auto layout = OpenOrDie(); }
  constexpr int kTagsPerProcess = 50;
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: its own Layout object, its own lock fds.
      absl::StatusOr<std::unique_ptr<Layout>> layout = Layout::Open(dir_);
      if (!layout.ok()) ::_exit(2);
      for (int i = 0; i < kTagsPerProcess; ++i) {
        absl::StatusOr<Descriptor> m = (*layout)->WriteBlob(
            absl::StrCat("{\"schemaVersion\":2,\"p\":", p, ",\"i\":", i, "}"), kOciManifest);
        if (!m.ok()) ::_exit(3);
        if (!(*layout)->Tag(*m, absl::StrCat("p", p, "-", i)).ok()) ::_exit(4);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(std::string json, base::Env::Default()->ReadFile(dir_ + "/index.json"));
  ASSERT_OK_AND_ASSIGN(Index index, Index::Parse(json));
  EXPECT_EQ(index.manifests.size(), 2u * kTagsPerProcess);
  ASSERT_OK_AND_ASSIGN(auto tags, layout->ListTags());
  ASSERT_EQ(tags.size(), 2u * kTagsPerProcess);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < kTagsPerProcess; ++i) {
      EXPECT_OK(layout->Resolve(absl::StrCat("p", p, "-", i))) << p << "-" << i;
    }
  }
  EXPECT_THAT(List("blobs/.ingest"), IsEmpty());
}

TEST_F(LayoutTest, CrashLeftoverIngestFileIsInvisibleAndCollected) {
  auto layout = OpenOrDie();
  Descriptor a = WriteTestImage(*layout, "a");
  ASSERT_OK(layout->Tag(a, "v1"));
  // What a writer killed before its rename leaves behind.
  std::string stale = dir_ + "/blobs/.ingest/12345-deadbeefdeadbeef";
  ASSERT_OK(base::Env::Default()->WriteFileAtomically(stale, "partial layer bytes", 0644));
  EXPECT_FALSE(layout->HasBlob(Digest::Of("partial layer bytes")));
  ASSERT_OK_AND_ASSIGN(auto tags, layout->ListTags());
  EXPECT_THAT(tags, SizeIs(1));
  // A writer that is still alive keeps its temp file through a GC and commits afterwards.
  ASSERT_OK_AND_ASSIGN(auto live, layout->NewBlobWriter());
  ASSERT_OK(live->Write("still streaming"));

  ASSERT_OK_AND_ASSIGN(GcStats stats, layout->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 0);
  EXPECT_EQ(stats.bytes_removed, static_cast<int64_t>(std::string("partial layer bytes").size()));
  EXPECT_FALSE(base::Env::Default()->Exists(stale));
  EXPECT_THAT(List("blobs/.ingest"), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(Digest d, live->Commit(Digest()));
  EXPECT_EQ(d, Digest::Of("still streaming"));
  EXPECT_OK(ReadImage(*layout, "v1"));
}

TEST_F(LayoutTest, GarbageCollectKeepsWhatIsReachableAndRemovesTheRest) {
  auto layout = OpenOrDie();
  Descriptor amd = WriteTestImage(*layout, "amd", "amd64");
  Descriptor arm = WriteTestImage(*layout, "arm", "arm64");
  Descriptor tagged = WriteTestImage(*layout, "tagged");
  Descriptor orphan_image = WriteTestImage(*layout, "orphan");  // manifest+config+layer, untagged
  ASSERT_OK_AND_ASSIGN(Descriptor orphan_blob, layout->WriteBlob("orphan bytes", "text/plain"));
  // A multi-platform index reaching two manifests.
  Index index;
  index.media_type = std::string(kOciIndex);
  amd.platform = Plat("amd64");
  arm.platform = Plat("arm64", "v8");
  index.manifests = {amd, arm};
  ASSERT_OK_AND_ASSIGN(Descriptor index_desc, layout->WriteBlob(index.Encode(), kOciIndex));
  ASSERT_OK(layout->Tag(index_desc, "multi"));
  ASSERT_OK(layout->Tag(tagged, "single"));
  size_t before = List("blobs/sha256").size();
  // 4 images x 3 blobs + 1 loose blob + 1 index.
  EXPECT_EQ(before, 14u);

  ASSERT_OK_AND_ASSIGN(GcStats stats, layout->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 4);  // the orphan image's three blobs and the loose blob
  EXPECT_FALSE(layout->HasBlob(orphan_image.digest));
  EXPECT_FALSE(layout->HasBlob(orphan_blob.digest));
  EXPECT_EQ(List("blobs/sha256").size(), 10u);
  for (std::string tag : {"multi", "single"}) {
    ASSERT_OK_AND_ASSIGN(ImageRef image, ReadImage(*layout, tag));
    EXPECT_TRUE(layout->HasBlob(image.manifest.config.digest));
    for (const Descriptor& l : image.manifest.layers) EXPECT_TRUE(layout->HasBlob(l.digest));
  }
  Platform arm64 = Plat("arm64");
  ASSERT_OK_AND_ASSIGN(ImageRef arm_image, ReadImage(*layout, "multi", &arm64));
  EXPECT_EQ(arm_image.manifest_descriptor.digest, arm.digest);
  // A second pass finds nothing more.
  ASSERT_OK_AND_ASSIGN(GcStats again, layout->GarbageCollect());
  EXPECT_EQ(again.blobs_removed, 0);
}

TEST_F(LayoutTest, GarbageCollectRefusesAnUnknownIndexEntry) {
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor odd, layout->WriteBlob("{}", "application/x-unknown"));
  ASSERT_OK(layout->Tag(odd, "odd"));
  ASSERT_OK_AND_ASSIGN(Descriptor loose, layout->WriteBlob("loose", "text/plain"));
  EXPECT_THAT(layout->GarbageCollect().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("unknown media type: application/x-unknown")));
  EXPECT_TRUE(layout->HasBlob(loose.digest));
}

// The race GarbageCollect used to document: blobs another writer committed but has not tagged yet.
TEST_F(LayoutTest, GarbageCollectRefusesWhileAnotherLayoutIsWriting) {
  auto collector = OpenOrDie();
  auto writer = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor untagged, writer->WriteBlob("layer not tagged yet", kOciLayer));
  EXPECT_THAT(collector->GarbageCollect().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another slipway process is writing to " + dir_ +
                                 "; try again when it is done")));
  EXPECT_TRUE(collector->HasBlob(untagged.digest));

  // The writer finishes its image; its untagged scratch blob is collected once it is gone.
  Descriptor image = WriteTestImage(*writer, "kept");
  ASSERT_OK(writer->Tag(image, "kept"));
  writer.reset();
  ASSERT_OK_AND_ASSIGN(GcStats stats, collector->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 1);
  EXPECT_FALSE(collector->HasBlob(untagged.digest));
  EXPECT_OK(ReadImage(*collector, "kept"));
}

TEST_F(LayoutTest, ReadersDoNotHoldOffGarbageCollect) {
  auto writer = OpenOrDie();
  ASSERT_OK(writer->Tag(WriteTestImage(*writer, "a"), "a"));
  writer.reset();
  auto reader = OpenOrDie();
  ASSERT_OK(ReadImage(*reader, "a"));
  ASSERT_OK(reader->ListTags());
  auto collector = OpenOrDie();
  EXPECT_OK(collector->GarbageCollect());
}

TEST_F(LayoutTest, OwnWriterLockIsUpgradedForGarbageCollectAndGivenBack) {
  auto writer = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor mine, writer->WriteBlob("my own scratch", kOciLayer));
  ASSERT_OK_AND_ASSIGN(GcStats stats, writer->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 1);
  EXPECT_FALSE(writer->HasBlob(mine.digest));
  // Still a writer afterwards: another object's collection is refused.
  auto collector = OpenOrDie();
  EXPECT_THAT(collector->GarbageCollect().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is writing to")));
}

TEST_F(LayoutTest, GarbageCollectRefusesWhileAnotherProcessIsWriting) {
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A writer in another process: a live BlobWriter, then waits for the parent.
    ::close(ready[0]);
    ::close(done[1]);
    absl::StatusOr<std::unique_ptr<Layout>> layout = Layout::Open(dir_);
    if (!layout.ok()) ::_exit(2);
    absl::StatusOr<std::unique_ptr<BlobWriter>> w = (*layout)->NewBlobWriter();
    if (!w.ok() || !(*w)->Write("streaming").ok()) ::_exit(3);
    if (!(*w)->Commit().ok()) ::_exit(4);
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(5);
    while (::read(done[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto collector = OpenOrDie();
  EXPECT_THAT(collector->GarbageCollect().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is writing to")));
  EXPECT_TRUE(collector->HasBlob(Digest::Of("streaming")));
  ::close(done[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(ready[0]);
  ASSERT_OK_AND_ASSIGN(GcStats stats, collector->GarbageCollect());
  EXPECT_EQ(stats.blobs_removed, 1);
  EXPECT_FALSE(collector->HasBlob(Digest::Of("streaming")));
}

TEST_F(LayoutTest, ReadImageByTagDigestAndPlatform) {
  auto layout = OpenOrDie();
  Descriptor amd = WriteTestImage(*layout, "amd", "amd64");
  Descriptor arm = WriteTestImage(*layout, "arm", "arm64");
  ASSERT_OK(layout->Tag(amd, "amd"));
  ASSERT_OK_AND_ASSIGN(ImageRef by_tag, ReadImage(*layout, "amd"));
  EXPECT_EQ(by_tag.manifest_descriptor.digest, amd.digest);
  EXPECT_EQ(by_tag.config.architecture, "amd64");
  EXPECT_EQ(*by_tag.config.config.cmd, (std::vector<std::string>{"echo", "amd"}));
  // An untagged manifest by digest.
  ASSERT_OK_AND_ASSIGN(ImageRef by_digest, ReadImage(*layout, arm.digest.str()));
  EXPECT_EQ(by_digest.config.architecture, "arm64");
  EXPECT_EQ(by_digest.manifest_descriptor.media_type, kOciManifest);
  // An index without platforms on its entries: the configs decide.
  Index index;
  index.media_type = std::string(kOciIndex);
  index.manifests = {arm, amd};
  ASSERT_OK_AND_ASSIGN(Descriptor index_desc, layout->WriteBlob(index.Encode(), kOciIndex));
  ASSERT_OK(layout->Tag(index_desc, "multi"));
  Platform want_amd = Plat("amd64");
  ASSERT_OK_AND_ASSIGN(ImageRef picked, ReadImage(*layout, "multi", &want_amd));
  EXPECT_EQ(picked.manifest_descriptor.digest, amd.digest);
  Platform want_s390 = Plat("s390x");
  EXPECT_THAT(ReadImage(*layout, "multi", &want_s390).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("linux/s390x")));
  EXPECT_THAT(ReadImage(*layout, "nope").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(ReadImage(*layout, Digest::Of("nothing").str()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(Digest::Of("nothing").str())));
}

TEST_F(LayoutTest, WriteImageChecksItsInputs) {
  auto layout = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(Descriptor layer, layout->WriteBlob("layer", kOciLayer));
  ImageConfig config;
  config.os = "linux";
  config.architecture = "amd64";
  EXPECT_THAT(WriteImage(*layout, config, {layer}, kOciManifest).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("diff_ids")));
  config.diff_ids.push_back(layer.digest);
  Descriptor missing = layer;
  missing.digest = Digest::Of("missing");
  EXPECT_THAT(WriteImage(*layout, config, {missing}, kOciManifest).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(missing.digest.str())));
  ASSERT_OK_AND_ASSIGN(Descriptor docker, WriteImage(*layout, config, {layer}, kDockerManifest));
  ASSERT_OK_AND_ASSIGN(std::string bytes, layout->ReadBlob(docker.digest));
  ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(bytes));
  EXPECT_EQ(m.media_type, kDockerManifest);
  EXPECT_EQ(m.config.media_type, kDockerConfig);
  // Deterministic: the same inputs give the same manifest digest.
  ASSERT_OK_AND_ASSIGN(Descriptor again, WriteImage(*layout, config, {layer}, kDockerManifest));
  EXPECT_EQ(again.digest, docker.digest);
}

TEST(LocalStoreDirTest, FollowsXdgDataHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  ::setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(LocalStoreDir(), "/data/slipway");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(LocalStoreDir(), "/home/u/.local/share/slipway");
  EXPECT_EQ(LocalStoreTag("app", ""), "app:latest");
  EXPECT_EQ(LocalStoreTag("app", "v2"), "app:v2");
  if (old_xdg) ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1); else ::unsetenv("HOME");
}

}  // namespace
}  // namespace oci
