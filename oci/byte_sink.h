// ByteSink: where streamed bytes go (a layout blob writer, an upload, a test buffer). Kept in its own
// header so producers (the layer writer) do not depend on the layout store that implements it.
#ifndef SLIPWAY_OCI_BYTE_SINK_H_
#define SLIPWAY_OCI_BYTE_SINK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace oci {

// Where bytes go. Implemented by Layout's blob writer; the layer writer and the registry client
// stream into one. Not thread-safe unless an implementation says so.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(absl::string_view data) = 0;
};

}  // namespace oci

#endif  // SLIPWAY_OCI_BYTE_SINK_H_
