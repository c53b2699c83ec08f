#include "builder/exec/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <map>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace builder {
namespace {

std::string Header(const StepInfo& s) {
  return absl::StrCat("[", s.stage, " ", s.index, "/", s.total, "] ", s.text);
}

// Cuts each step's output into whole lines; an unterminated last line waits for more output or for
// the step's end. Not thread-safe: the printers call it under their own mutex.
class StepLines {
 public:
  // Adds `data` to step `id`'s output and calls `emit` with each line it completes (no newline).
  template <typename Emit>
  void Append(int id, absl::string_view data, Emit emit) {
    std::string& partial = partial_[id];
    partial.append(data.data(), data.size());
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      emit(absl::string_view(partial).substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  // The step ended: returns its unterminated last line ("" when none) and forgets the step.
  std::string TakeRest(int id) {
    auto it = partial_.find(id);
    if (it == partial_.end()) return "";
    std::string rest = std::move(it->second);
    partial_.erase(it);
    return rest;
  }

 private:
  std::map<int, std::string> partial_;
};

class LineProgress : public Progress {
 public:
  LineProgress(FILE* out, bool tty) : out_(out), tty_(tty) {}
  void Started(const StepInfo& s) override {
    absl::MutexLock lock(&mu_);
    Print(absl::StrCat(Bold("#" + std::to_string(s.id)), " ", Header(s)));
  }
  void Output(const StepInfo& s, absl::string_view data) override {
    absl::MutexLock lock(&mu_);
    lines_.Append(s.id, data,
                  [&](absl::string_view line) { Print(absl::StrCat("#", s.id, " ", line)); });
  }
  void Finished(const StepInfo& s, bool cached, absl::Duration elapsed,
                const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    const std::string rest = lines_.TakeRest(s.id);
    if (!rest.empty()) Print(absl::StrCat("#", s.id, " ", rest));
    std::string id = "#" + std::to_string(s.id);
    if (!status.ok()) {
      Print(absl::StrCat(Colour(id, "31"), " ERROR: ", status.message()));
    } else if (cached) {
      Print(absl::StrCat(Colour(id, "34"), " CACHED ", Header(s)));
    } else {
      Print(absl::StrCat(Colour(id, "32"), " DONE ",
                         absl::StrFormat("%.1fs", absl::ToDoubleSeconds(elapsed)), " ", Header(s)));
    }
  }

 private:
  std::string Bold(const std::string& s) const { return tty_ ? "\033[1m" + s + "\033[0m" : s; }
  std::string Colour(const std::string& s, const char* c) const {
    return tty_ ? absl::StrCat("\033[", c, "m", s, "\033[0m") : s;
  }
  void Print(const std::string& line) {
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  FILE* out_;
  bool tty_;
  absl::Mutex mu_;
  StepLines lines_;
};

// The terminal view: finished steps (DONE with their time, CACHED, ERROR) and RUN output scroll up
// as permanent lines; below them, one live line per running step with its elapsed time, redrawn
// in place every 100 ms by a ticker thread (cursor up + clear to the end of the screen). The
// destructor stops the ticker and leaves no live lines behind.
class TtyProgress : public Progress {
 public:
  explicit TtyProgress(FILE* out) : out_(out) {
    ticker_ = std::thread([this] {
      absl::MutexLock lock(&mu_);
      while (!stop_) {
        mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(100));
        if (!stop_ && !running_.empty()) Redraw();
      }
    });
  }
  ~TtyProgress() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      Redraw(/*live=*/false);
    }
    ticker_.join();
  }
  void Started(const StepInfo& s) override {
    absl::MutexLock lock(&mu_);
    running_[s.id] = Running{s, absl::Now()};
    Redraw();
  }
  void Output(const StepInfo& s, absl::string_view data) override {
    absl::MutexLock lock(&mu_);
    lines_.Append(s.id, data, [&](absl::string_view line) {
      pending_.push_back(absl::StrCat("\033[2m#", s.id, " ", line, "\033[0m"));
    });
    Redraw();
  }
  void Finished(const StepInfo& s, bool cached, absl::Duration elapsed,
                const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    running_.erase(s.id);
    const std::string rest = lines_.TakeRest(s.id);
    if (!rest.empty()) pending_.push_back(absl::StrCat("#", s.id, " ", rest));
    std::string id = "#" + std::to_string(s.id);
    if (!status.ok()) {
      pending_.push_back(absl::StrCat("\033[31m", id, " ERROR\033[0m ", Header(s), ": ",
                                      status.message()));
    } else if (cached) {
      pending_.push_back(absl::StrCat("\033[34m", id, " CACHED\033[0m ", Header(s)));
    } else {
      pending_.push_back(absl::StrCat("\033[32m", id, " DONE ",
                                      absl::StrFormat("%.1fs", absl::ToDoubleSeconds(elapsed)),
                                      "\033[0m ", Header(s)));
    }
    Redraw();
  }

 private:
  struct Running {
    StepInfo step;
    absl::Time start;
  };
  // Erases the live lines, prints the pending permanent lines, then (when `live`) the running
  // steps, each cut to the terminal's width.
  void Redraw(bool live = true) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string out;
    if (drawn_ > 0) absl::StrAppend(&out, "\033[", drawn_, "A\r\033[J");
    for (const std::string& line : pending_) absl::StrAppend(&out, line, "\n");
    pending_.clear();
    drawn_ = 0;
    if (live) {
      struct winsize ws {};
      size_t width = ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
      absl::Time now = absl::Now();
      for (const auto& [id, r] : running_) {
        std::string text = absl::StrCat("#", id, " ", Header(r.step));
        std::string time = absl::StrFormat(" %.1fs", absl::ToDoubleSeconds(now - r.start));
        if (text.size() + time.size() > width && width > time.size() + 1) {
          text.resize(width - time.size() - 1);
        }
        absl::StrAppend(&out, "\033[1m", text, "\033[0m", time, "\n");
        ++drawn_;
      }
    }
    std::fputs(out.c_str(), out_);
    std::fflush(out_);
  }

  FILE* out_;
  absl::Mutex mu_;
  std::map<int, Running> running_ ABSL_GUARDED_BY(mu_);
  StepLines lines_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mu_);
  int drawn_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

class JsonProgress : public Progress {
 public:
  explicit JsonProgress(FILE* out) : out_(out) {}
  void Started(const StepInfo& s) override { Emit(Base("start", s)); }
  void Output(const StepInfo&, absl::string_view) override {}
  void Finished(const StepInfo& s, bool cached, absl::Duration elapsed,
                const absl::Status& status) override {
    nlohmann::json j = Base("finish", s);
    j["cached"] = cached;
    j["seconds"] = absl::ToDoubleSeconds(elapsed);
    if (!status.ok()) j["error"] = std::string(status.message());
    Emit(j);
  }

 private:
  static nlohmann::json Base(const char* event, const StepInfo& s) {
    return {{"event", event}, {"step", s.id}, {"stage", s.stage}, {"index", s.index},
            {"total", s.total}, {"instruction", s.text}, {"line", s.line}};
  }
  void Emit(const nlohmann::json& j) {
    absl::MutexLock lock(&mu_);
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  FILE* out_;
  absl::Mutex mu_;
};

}  // namespace

absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text, FILE* out) {
  if (text == "auto" || text.empty()) {
    // Live redrawing only when both the progress stream and standard output are terminals: a CI
    // step that captures stdout (the digest) gets plain lines.
    return isatty(fileno(out)) && isatty(STDOUT_FILENO) ? ProgressMode::kTty : ProgressMode::kPlain;
  }
  if (text == "plain") return ProgressMode::kPlain;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "json") return ProgressMode::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--progress: unknown mode `", text, "` (want auto, tty, plain or json)"));
}

std::unique_ptr<Progress> NewProgress(ProgressMode mode, FILE* out) {
  if (mode == ProgressMode::kJson) return std::make_unique<JsonProgress>(out);
  if (mode == ProgressMode::kTty) return std::make_unique<TtyProgress>(out);
  return std::make_unique<LineProgress>(out, /*tty=*/false);
}

}  // namespace builder
