#include "pusher/testing/test_image.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/image_config.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace pusher_testing {

absl::StatusOr<oci::Descriptor> MakeTestImage(oci::Layout& layout, int layers,
                                              int64_t layer_size, uint64_t seed,
                                              const std::string& tag,
                                              const std::string& architecture) {
  std::mt19937_64 rng(seed);
  std::vector<oci::Descriptor> descs;
  oci::ImageConfig config;
  config.architecture = architecture;
  config.os = "linux";
  config.config.env = {absl::StrCat("SEED=", seed)};
  for (int i = 0; i < layers; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<oci::BlobWriter> w, layout.NewBlobWriter());
    std::string chunk(1 << 20, '\0');
    for (int64_t left = layer_size; left > 0;) {
      size_t n = static_cast<size_t>(std::min<int64_t>(left, chunk.size()));
      for (size_t j = 0; j + 8 <= n; j += 8) {
        uint64_t v = rng();
        memcpy(&chunk[j], &v, 8);
      }
      for (size_t j = n - n % 8; j < n; ++j) chunk[j] = static_cast<char>(rng());
      RETURN_IF_ERROR(w->Write(absl::string_view(chunk.data(), n)));
      left -= n;
    }
    ASSIGN_OR_RETURN(oci::Digest d, w->Commit());
    oci::Descriptor desc;
    desc.media_type = std::string(oci::kOciLayer);
    desc.digest = d;
    desc.size = layer_size;
    descs.push_back(desc);
    config.diff_ids.push_back(d);
  }
  ASSIGN_OR_RETURN(oci::Descriptor manifest,
                   oci::WriteImage(layout, config, descs, oci::kOciManifest));
  if (!tag.empty()) RETURN_IF_ERROR(layout.Tag(manifest, tag));
  return manifest;
}

absl::StatusOr<oci::Descriptor> MakeTestIndex(oci::Layout& layout,
                                              const std::vector<oci::Descriptor>& manifests,
                                              const std::string& tag) {
  oci::Index index;
  index.media_type = std::string(oci::kOciIndex);
  index.manifests = manifests;
  ASSIGN_OR_RETURN(oci::Descriptor d, layout.WriteBlob(index.Encode(), oci::kOciIndex));
  if (!tag.empty()) RETURN_IF_ERROR(layout.Tag(d, tag));
  return d;
}

}  // namespace pusher_testing
