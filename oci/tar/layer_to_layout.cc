// WriteLayerToLayout: WriteLayer into a layout blob writer, committed under the digest it computed.
// A separate target (//oci/tar:layer_to_layout) so //oci/tar:layer_writer needs only ByteSink.
#include "base/status_macros.h"
#include "oci/layout/layout.h"
#include "oci/tar/layer_writer.h"

namespace oci {

absl::StatusOr<LayerResult> WriteLayerToLayout(std::vector<LayerEntry> entries,
                                               const LayerWriterOptions& options, Layout& layout) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, layout.NewBlobWriter());
  ASSIGN_OR_RETURN(LayerResult result, WriteLayer(std::move(entries), options, *writer));
  RETURN_IF_ERROR_CTX(writer->Commit(result.descriptor.digest).status(),
                      "committing layer ", result.descriptor.digest.str(), " into `",
                      layout.dir(), "`");
  return result;
}

}  // namespace oci
