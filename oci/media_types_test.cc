#include "oci/media_types.h"

#include "gtest/gtest.h"

namespace oci {
namespace {

TEST(MediaTypesTest, ManifestAndIndex) {
  EXPECT_TRUE(IsManifest(kOciManifest));
  EXPECT_TRUE(IsManifest(kDockerManifest));
  EXPECT_FALSE(IsManifest(kOciIndex));
  EXPECT_FALSE(IsManifest(kOciConfig));
  EXPECT_FALSE(IsManifest(""));
  EXPECT_TRUE(IsIndex(kOciIndex));
  EXPECT_TRUE(IsIndex(kDockerManifestList));
  EXPECT_FALSE(IsIndex(kOciManifest));
  // Docker schema 1 is not supported.
  EXPECT_FALSE(IsManifest("application/vnd.docker.distribution.manifest.v1+prettyjws"));
}

TEST(MediaTypesTest, Layers) {
  for (absl::string_view t : {kOciLayer, kOciLayerGzip, kOciLayerZstd, kOciLayerNondistributableGzip,
                              kDockerLayerGzip, kDockerForeignLayerGzip}) {
    EXPECT_TRUE(IsLayer(t)) << t;
  }
  EXPECT_FALSE(IsLayer(kOciConfig));
  EXPECT_FALSE(IsLayer(kOciEmpty));
  EXPECT_FALSE(IsLayer("application/vnd.oci.image.layer.v1.tar+bzip2"));
  EXPECT_FALSE(IsLayer("application/vnd.oci.image.layer.v1.tar+gzip "));
}

TEST(MediaTypesTest, OciLayerMediaTypeRoundTripsThroughLayerCompression) {
  EXPECT_EQ(OciLayerMediaType(Compression::kNone), kOciLayer);
  EXPECT_EQ(OciLayerMediaType(Compression::kGzip), kOciLayerGzip);
  EXPECT_EQ(OciLayerMediaType(Compression::kZstd), kOciLayerZstd);
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    EXPECT_EQ(LayerCompression(OciLayerMediaType(c)), c);
  }
}

TEST(MediaTypesTest, Compression) {
  EXPECT_EQ(LayerCompression(kOciLayer), Compression::kNone);
  EXPECT_EQ(LayerCompression(kOciLayerGzip), Compression::kGzip);
  EXPECT_EQ(LayerCompression(kDockerLayerGzip), Compression::kGzip);
  EXPECT_EQ(LayerCompression(kDockerForeignLayerGzip), Compression::kGzip);
  EXPECT_EQ(LayerCompression(kOciLayerNondistributableGzip), Compression::kGzip);
  EXPECT_EQ(LayerCompression(kOciLayerZstd), Compression::kZstd);
  EXPECT_EQ(LayerCompression("text/plain"), Compression::kNone);
}

}  // namespace
}  // namespace oci
