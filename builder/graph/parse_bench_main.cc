// Benchmark driver (not a test) for tools/bench/parse_bench: times parse + typed load + graph build
// of one Dockerfile, N times, and prints min and median in microseconds, in total and per phase
// (parse+load is one phase, ParseAndLoad, as in `slipway graph`; Parse and Load one after the
// other are timed too, for the split, not in the total).
// The cache keys (ComputeKeys, without a context hasher) are timed as their own phase, "keys", not
// in the total: building the graph records their inputs, and they are derived on demand. Freeing
// the results is timed separately ("free"), not in the total either. It also times FormatJson and
// FormatText of the graph, and counts the heap allocations (operator new) and page faults of each
// phase; allocation counts, unlike times, do not depend on how busy the machine is.
// Usage: parse_bench_bin DOCKERFILE [RUNS]
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "builder/dockerfile/parser.h"
#include "builder/graph/format.h"
#include "builder/graph/graph.h"
#include "builder/graph/keys.h"
#include "builder/instructions/instructions.h"

// Every operator new in this binary is counted (the driver is single-threaded).
static size_t g_allocations = 0;

void* operator new(size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;

double Us(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// CPU time of this thread in microseconds: unlike wall time, it does not grow while other
// processes hold the CPU, so it is the steadier number on a shared machine.
double CpuUs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Minor page faults of this thread so far (fresh heap or arena memory touched for the first time).
long MinorFaults() {
  rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_minflt;
}

struct Series {
  const char* name;
  std::vector<double> us;
  void Print() {
    std::sort(us.begin(), us.end());
    std::printf("  %-12s min %7.0f us, median %7.0f us\n", name, us.front(), us[us.size() / 2]);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DOCKERFILE [RUNS]\n", argv[0]);
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 20;
  if (runs < 1) runs = 1;
  // Repeated runs measure the work, not glibc's heap policy: by default it hands the memory of a
  // run's big blocks back to the kernel when they are freed (mmap threshold, top-of-heap trimming),
  // so the next run takes a page fault (1.3-1.8 us here) for every page again, or not, depending
  // on the exact sizes. Keep freed memory instead. A one-shot `slipway graph` pays for fresh pages
  // once; parse_bench times that separately, one run per process.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Series total{"parse+graph"}, parse_load{"parse+load"}, graph{"graph"}, keys{"keys"},
      freed{"free"}, json{"format json"}, txt{"format text"}, cpu{"parse+graph CPU"},
      parse_alone{"parse alone"}, load_alone{"load alone"};
  size_t nodes = 0, stages = 0, json_bytes = 0;
  // The phases of the total, then keys: parse+load, graph, keys.
  constexpr int kPhases = 3;
  size_t allocs[kPhases] = {};  // the same in every run
  // Page faults of each phase in each run; the first run has a fresh heap, as `slipway graph` does.
  std::vector<long> faults[kPhases];
  auto failed = [](const absl::Status& s) {
    if (!s.ok()) std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return !s.ok();
  };
  for (int i = 0; i < runs; ++i) {
    double c0 = CpuUs(), c1 = 0;
    size_t a[kPhases + 1];
    long f[kPhases + 1];
    Clock::time_point t[kPhases + 1];
    Clock::time_point f0;
    // The end of phase p (0 is the start): its time, allocations and page faults so far.
    auto mark = [&](int p) {
      t[p] = Clock::now();
      a[p] = g_allocations;
      f[p] = MinorFaults();
    };
    // `slipway graph` reads the file into a string and hands it over (it is not copied).
    std::string source = text;
    mark(0);
    {
      // As `slipway graph` does: each instruction is loaded as soon as it is parsed (no AST is
      // kept), and the graph refers to the typed instructions.
      auto df = builder::instructions::ParseAndLoad(std::move(source));
      mark(1);
      if (failed(df.status())) return 1;
      auto g = builder::graph::BuildGraph(*df);
      c1 = CpuUs();
      mark(2);
      if (failed(g.status())) return 1;
      auto k = builder::graph::ComputeKeys(*g);
      mark(3);
      if (failed(k.status())) return 1;
      for (int p = 0; p < kPhases; ++p) {
        allocs[p] = a[p + 1] - a[p];
        faults[p].push_back(f[p + 1] - f[p]);
      }
      nodes = g->nodes.size();
      stages = g->stages.size();
      {
        auto j0 = Clock::now();
        std::string j = builder::graph::FormatJson(*g, *k);
        auto j1 = Clock::now();
        std::string s = builder::graph::FormatText(*g, *k);
        auto j2 = Clock::now();
        json_bytes = j.size();
        json.us.push_back(Us(j0, j1));
        txt.us.push_back(Us(j1, j2));
      }
      f0 = Clock::now();
    }
    auto end = Clock::now();
    total.us.push_back(Us(t[0], t[2]));
    parse_load.us.push_back(Us(t[0], t[1]));
    graph.us.push_back(Us(t[1], t[2]));
    keys.us.push_back(Us(t[2], t[3]));
    freed.us.push_back(Us(f0, end));
    cpu.us.push_back(c1 - c0);
    // For the split only (not in the total): the two halves of ParseAndLoad one after the other,
    // with the whole AST in between, as `slipway graph --format ast` and the executor do.
    auto p0 = Clock::now();
    auto ast = builder::dockerfile::Parse(text);
    auto p1 = Clock::now();
    if (failed(ast.status())) return 1;
    auto df = builder::instructions::Load(*ast);
    auto p2 = Clock::now();
    if (failed(df.status())) return 1;
    parse_alone.us.push_back(Us(p0, p1));
    load_alone.us.push_back(Us(p1, p2));
  }
  std::printf("parse+graph: %zu bytes, %zu stages, %zu nodes, runs %d: min %.0f us, median %.0f us\n",
              text.size(), stages, nodes, runs, *std::min_element(total.us.begin(), total.us.end()),
              [&] {
                std::vector<double> v = total.us;
                std::sort(v.begin(), v.end());
                return v[v.size() / 2];
              }());
  std::printf("phases (%zu bytes of JSON):\n", json_bytes);
  parse_load.Print();
  graph.Print();
  keys.Print();
  total.Print();
  cpu.Print();
  parse_alone.Print();
  load_alone.Print();
  freed.Print();
  json.Print();
  txt.Print();
  std::printf(
      "allocations: parse+load %zu, graph %zu, keys %zu (%.1f per node without keys;"
      " graph %.2f, keys %.2f per node)\n",
      allocs[0], allocs[1], allocs[2], static_cast<double>(allocs[0] + allocs[1]) / nodes,
      static_cast<double>(allocs[1]) / nodes, static_cast<double>(allocs[2]) / nodes);
  long first[kPhases], median[kPhases];
  for (int p = 0; p < kPhases; ++p) {
    first[p] = faults[p][0];
    std::sort(faults[p].begin(), faults[p].end());
    median[p] = faults[p][faults[p].size() / 2];
  }
  std::printf("page faults: first run parse+load %ld, graph %ld, keys %ld; median %ld, %ld, %ld\n",
              first[0], first[1], first[2], median[0], median[1], median[2]);
  return 0;
}
