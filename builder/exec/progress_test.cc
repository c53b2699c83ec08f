// Progress views: plain lines, the live terminal view and JSON events.
#include "builder/exec/progress.h"

#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Everything written to a temporary FILE.
class Capture {
 public:
  Capture() : f_(std::tmpfile()) {}
  ~Capture() { std::fclose(f_); }
  FILE* file() { return f_; }
  std::string Text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  FILE* f_;
};

StepInfo Step(int id, const char* text) {
  StepInfo s;
  s.id = id;
  s.stage = "build";
  s.index = id;
  s.total = 3;
  s.text = text;
  return s;
}

TEST(ProgressTest, PlainLines) {
  Capture c;
  {
    std::unique_ptr<Progress> p = NewProgress(ProgressMode::kPlain, c.file());
    p->Started(Step(1, "RUN make"));
    p->Output(Step(1, "RUN make"), "comp");
    p->Output(Step(1, "RUN make"), "iling\npartial");
    p->Finished(Step(1, "RUN make"), false, absl::Milliseconds(1200), absl::OkStatus());
    p->Finished(Step(2, "COPY . /src"), true, absl::ZeroDuration(), absl::OkStatus());
  }
  EXPECT_EQ(c.Text(),
            "#1 [build 1/3] RUN make\n#1 compiling\n#1 partial\n#1 DONE 1.2s [build 1/3] RUN make\n"
            "#2 CACHED [build 2/3] COPY . /src\n");
}

// A running step gets a live line whose elapsed time is redrawn in place; finished steps become
// permanent lines and no live line is left at the end.
TEST(ProgressTest, TtyRedrawsRunningStepsWithElapsedTime) {
  Capture c;
  {
    std::unique_ptr<Progress> p = NewProgress(ProgressMode::kTty, c.file());
    p->Started(Step(1, "RUN sleep"));
    p->Started(Step(2, "COPY a b"));
    p->Finished(Step(2, "COPY a b"), true, absl::ZeroDuration(), absl::OkStatus());
    absl::SleepFor(absl::Milliseconds(350));
    // Nothing was reported since the CACHED line: only the ticker can have redrawn the live line.
    std::string mid = c.Text();
    EXPECT_THAT(mid.substr(mid.find("CACHED")), ContainsRegex(" 0[.][1-9]s\n"));
    p->Output(Step(1, "RUN sleep"), "tick\nto");
    p->Output(Step(1, "RUN sleep"), "ck");
    p->Finished(Step(1, "RUN sleep"), false, absl::Milliseconds(400), absl::OkStatus());
  }
  std::string out = c.Text();
  EXPECT_THAT(out, HasSubstr("#1 [build 1/3] RUN sleep\033[0m 0.0s\n"));
  EXPECT_THAT(out, HasSubstr("\033[1A\r\033[J"));    // the live region is erased in place
  EXPECT_THAT(out, HasSubstr("#2 CACHED\033[0m [build 2/3] COPY a b\n"));
  EXPECT_THAT(out, HasSubstr("\033[2m#1 tick\033[0m\n"));
  EXPECT_THAT(out, HasSubstr("#1 tock\n"));  // the unterminated rest, flushed at the step's end
  EXPECT_THAT(out, HasSubstr("#1 DONE 0.4s\033[0m [build 1/3] RUN sleep\n"));
  // The last thing written erases the live lines and draws none.
  std::string tail = out.substr(out.rfind("DONE 0.4s"));
  EXPECT_THAT(tail, Not(HasSubstr("\033[1m")));
}

TEST(ProgressTest, JsonEvents) {
  Capture c;
  {
    std::unique_ptr<Progress> p = NewProgress(ProgressMode::kJson, c.file());
    p->Started(Step(1, "RUN x"));
    p->Finished(Step(1, "RUN x"), false, absl::Seconds(2), absl::InvalidArgumentError("boom"));
  }
  std::string out = c.Text();
  EXPECT_THAT(out, HasSubstr("\"event\":\"start\""));
  EXPECT_THAT(out, HasSubstr("\"error\":\"boom\""));
}

}  // namespace
}  // namespace builder
