#include <string>
#include <vector>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "oci/digest.h"
#include "oci/layout/layout.h"
#include "oci/tar/layer_writer.h"

namespace oci {
namespace {

TEST(LayerToLayoutTest, CommitsTheBlobUnderItsDigest) {
  ASSERT_OK_AND_ASSIGN(auto dir, base::ScopedTempDir::Create("layout-"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Layout> layout, Layout::Open(dir.path()));
  LayerEntry file;
  file.path = "etc/motd";
  file.content = "hello\n";
  LayerWriterOptions options;
  options.compression = Compression::kZstd;
  ASSERT_OK_AND_ASSIGN(LayerResult r, WriteLayerToLayout({file}, options, *layout));
  EXPECT_TRUE(layout->HasBlob(r.descriptor.digest));
  ASSERT_OK_AND_ASSIGN(std::string blob, layout->ReadBlob(r.descriptor.digest));
  EXPECT_EQ(static_cast<int64_t>(blob.size()), r.descriptor.size);
  EXPECT_EQ(Digest::Of(blob), r.descriptor.digest);
  EXPECT_EQ(r.descriptor.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
}

}  // namespace
}  // namespace oci
