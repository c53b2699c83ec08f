// Builds small test images in an OCI layout: `layers` layers of pseudo-random bytes (stored as
// uncompressed tar media type, so diff_ids equal the layer digests) and a config naming them.
// Deterministic for a given seed. For registry tests and benchmarks.
#ifndef SLIPWAY_PUSHER_TESTING_TEST_IMAGE_H_
#define SLIPWAY_PUSHER_TESTING_TEST_IMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/descriptor.h"
#include "oci/layout/layout.h"

namespace pusher_testing {

// Writes the image and tags it `tag` (when not empty). Returns the manifest descriptor.
absl::StatusOr<oci::Descriptor> MakeTestImage(oci::Layout& layout, int layers,
                                              int64_t layer_size, uint64_t seed,
                                              const std::string& tag,
                                              const std::string& architecture = "amd64");

// Writes an OCI index over `manifests` (with their platforms) and tags it.
absl::StatusOr<oci::Descriptor> MakeTestIndex(oci::Layout& layout,
                                              const std::vector<oci::Descriptor>& manifests,
                                              const std::string& tag);

}  // namespace pusher_testing

#endif  // SLIPWAY_PUSHER_TESTING_TEST_IMAGE_H_
