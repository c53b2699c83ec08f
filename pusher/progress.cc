#include "pusher/progress.h"

#include <unistd.h>

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace pusher {
namespace {

struct Item {
  std::string label;
  int64_t total = 0;
  int64_t done = 0;
  absl::Time start;
  absl::Time last_print;
  std::string outcome;
};

std::string Speed(const Item& item, absl::Time now) {
  double secs = absl::ToDoubleSeconds(now - item.start);
  if (secs <= 0.05) return "";
  return absl::StrCat(HumanBytes(static_cast<int64_t>(item.done / secs)), "/s");
}

class QuietProgress : public Progress {
 public:
  void Begin(const std::string&, const std::string&, int64_t) override {}
  void Update(const std::string&, int64_t) override {}
  void End(const std::string&, const std::string&) override {}
  void Message(const std::string&) override {}
};

class PlainProgress : public Progress {
 public:
  PlainProgress(FILE* out, absl::Duration interval) : out_(out), interval_(interval) {}
  void Begin(const std::string& id, const std::string& label, int64_t total) override {
    absl::MutexLock lock(&mu_);
    Item& item = items_[id];
    item.label = label;
    item.total = total;
    item.start = item.last_print = absl::Now();
  }
  void Update(const std::string& id, int64_t done) override {
    absl::MutexLock lock(&mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return;
    it->second.done = done;
    absl::Time now = absl::Now();
    if (now - it->second.last_print < interval_) return;
    it->second.last_print = now;
    absl::FPrintF(out_, "%s: %s / %s %s\n", it->second.label, HumanBytes(done),
                  HumanBytes(it->second.total), Speed(it->second, now));
    fflush(out_);
  }
  void End(const std::string& id, const std::string& outcome) override {
    absl::MutexLock lock(&mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return;
    absl::FPrintF(out_, "%s: %s (%s)\n", it->second.label, outcome, HumanBytes(it->second.total));
    fflush(out_);
    items_.erase(it);
  }
  void Message(const std::string& text) override {
    absl::MutexLock lock(&mu_);
    absl::FPrintF(out_, "%s\n", text);
    fflush(out_);
  }

 private:
  FILE* out_;
  absl::Duration interval_;
  absl::Mutex mu_;
  std::map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
};

// Redraws one line per blob in place (ANSI cursor movement), at most 10 times a second.
class TtyProgress : public Progress {
 public:
  explicit TtyProgress(FILE* out) : out_(out) {}
  ~TtyProgress() override {}
  void Begin(const std::string& id, const std::string& label, int64_t total) override {
    absl::MutexLock lock(&mu_);
    Item item;
    item.label = label;
    item.total = total;
    item.start = absl::Now();
    order_.push_back(id);
    items_[id] = item;
    Redraw(true);
  }
  void Update(const std::string& id, int64_t done) override {
    absl::MutexLock lock(&mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return;
    it->second.done = done;
    Redraw(false);
  }
  void End(const std::string& id, const std::string& outcome) override {
    absl::MutexLock lock(&mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return;
    it->second.outcome = outcome;
    if (it->second.total > 0) it->second.done = it->second.total;
    Redraw(true);
  }
  void Message(const std::string& text) override {
    absl::MutexLock lock(&mu_);
    Clear();
    absl::FPrintF(out_, "%s\n", text);
    drawn_ = 0;
    Redraw(true);
  }

 private:
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (drawn_ > 0) absl::FPrintF(out_, "\x1b[%dA", drawn_);
  }
  void Redraw(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time now = absl::Now();
    if (!force && now - last_draw_ < absl::Milliseconds(100)) return;
    last_draw_ = now;
    Clear();
    for (const std::string& id : order_) {
      const Item& item = items_[id];
      constexpr int kWidth = 30;
      int filled = item.total > 0 ? static_cast<int>(kWidth * item.done / item.total) : 0;
      std::string bar = std::string(filled, '=') + std::string(kWidth - filled, ' ');
      std::string tail = item.outcome.empty()
                             ? absl::StrCat(HumanBytes(item.done), "/", HumanBytes(item.total),
                                            " ", Speed(item, now))
                             : item.outcome;
      absl::FPrintF(out_, "\x1b[2K%s [%s] %s\n", item.label, bar, tail);
    }
    drawn_ = static_cast<int>(order_.size());
    fflush(out_);
  }

  FILE* out_;
  absl::Mutex mu_;
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
  int drawn_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

ScaledBytes ScaleBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return {v, kUnits[u]};
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 0) return "?";
  ScaledBytes s = ScaleBytes(bytes);
  if (s.unit[0] == 'B') return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", s.value, s.unit);
}

std::unique_ptr<Progress> NewProgress(ProgressMode mode, FILE* out, absl::Duration interval) {
  if (mode == ProgressMode::kAuto) {
    // Live redrawing only when both the progress stream and standard output are terminals: a CI
    // step that captures stdout (the digest) gets plain lines.
    mode = isatty(fileno(out)) && isatty(STDOUT_FILENO) ? ProgressMode::kTty : ProgressMode::kPlain;
  }
  switch (mode) {
    case ProgressMode::kQuiet:
      return std::make_unique<QuietProgress>();
    case ProgressMode::kTty:
      return std::make_unique<TtyProgress>(out);
    default:
      return std::make_unique<PlainProgress>(out, interval);
  }
}

}  // namespace pusher
