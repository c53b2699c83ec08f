// Build progress: one event when a step starts, its output, and one when it finishes (DONE with its
// time, CACHED, or ERROR). Plain lines for logs (`#3 [build 2/4] RUN make`, `#3 DONE 1.2s`); on a
// terminal, finished steps scroll up in colour while each running step keeps one live line with
// its elapsed time, redrawn in place every 100 ms; or one JSON object per event. All
// implementations are thread-safe (stages run in parallel).
#ifndef SLIPWAY_BUILDER_EXEC_PROGRESS_H_
#define SLIPWAY_BUILDER_EXEC_PROGRESS_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace builder {

struct StepInfo {
  int id = 0;              // unique per build, 1-based, in start order
  std::string stage;       // stage name or index
  int index = 0;           // 1-based position in the stage
  int total = 0;           // commands in the stage
  std::string text;        // the instruction (first line of its expanded form)
  int line = 0;            // Dockerfile line
};

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void Started(const StepInfo& step) = 0;
  virtual void Output(const StepInfo& step, absl::string_view data) = 0;
  // `cached` means the result came from the cache; `status` is the step's error, if any.
  virtual void Finished(const StepInfo& step, bool cached, absl::Duration elapsed,
                        const absl::Status& status) = 0;
};

enum class ProgressMode { kPlain, kTty, kJson };
// "auto" picks tty when `out` is a terminal, else plain. InvalidArgument for other words.
absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text, FILE* out);
// Writes to `out` (not owned), usually stderr.
std::unique_ptr<Progress> NewProgress(ProgressMode mode, FILE* out);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_EXEC_PROGRESS_H_
