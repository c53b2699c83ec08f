// Progress output for blob transfers: per-blob bars with bytes and speed redrawn in place on a
// terminal, or periodic plain lines (at most one per blob every few seconds, plus start and end)
// when the output is not a terminal (CI logs). Thread-safe: transfers report from worker threads.
#ifndef SLIPWAY_PUSHER_PROGRESS_H_
#define SLIPWAY_PUSHER_PROGRESS_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace pusher {

class Progress {
 public:
  virtual ~Progress() = default;
  // A transfer starts: `id` is unique per blob ("sha256:…"), `label` what to show.
  virtual void Begin(const std::string& id, const std::string& label, int64_t total) = 0;
  virtual void Update(const std::string& id, int64_t done) = 0;
  // `outcome`: "pushed", "exists", "mounted", "pulled", "failed: …".
  virtual void End(const std::string& id, const std::string& outcome) = 0;
  // A free-form line ("retrying …", "pulled from mirror …").
  virtual void Message(const std::string& text) = 0;
};

enum class ProgressMode { kAuto, kTty, kPlain, kQuiet };

// Writes to `out` (not owned; stderr by default). kAuto picks kTty when `out` is a terminal.
std::unique_ptr<Progress> NewProgress(ProgressMode mode, FILE* out = stderr,
                                      absl::Duration plain_interval = absl::Seconds(5));

// `bytes` >= 0 in decimal units (kB = 1000 B, as registries and Docker count): the value and its
// unit, "B" (and the exact count) under 1 kB.
struct ScaledBytes {
  double value;
  const char* unit;
};
ScaledBytes ScaleBytes(int64_t bytes);

// "12.3 MB" (decimal units, as registries and Docker show them).
std::string HumanBytes(int64_t bytes);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_PROGRESS_H_
