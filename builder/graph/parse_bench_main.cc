// Benchmark driver (not a test) for tools/bench/parse_bench: times parse + typed load + graph build
// of one Dockerfile, N times, and prints min and median in microseconds.
// Usage: parse_bench_bin DOCKERFILE [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "builder/dockerfile/parser.h"
#include "builder/graph/graph.h"
#include "builder/instructions/instructions.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DOCKERFILE [RUNS]\n", argv[0]);
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 20;
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<double> us;
  size_t nodes = 0, stages = 0;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto ast = builder::dockerfile::Parse(text);
    if (!ast.ok()) {
      std::fprintf(stderr, "%s\n", std::string(ast.status().message()).c_str());
      return 1;
    }
    auto df = builder::instructions::Load(*ast);
    if (!df.ok()) {
      std::fprintf(stderr, "%s\n", std::string(df.status().message()).c_str());
      return 1;
    }
    auto g = builder::graph::BuildGraph(*df, {});
    if (!g.ok()) return 1;
    auto end = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    nodes = g->nodes_size();
    stages = g->stages_size();
  }
  std::sort(us.begin(), us.end());
  std::printf("parse+graph: %zu bytes, %zu stages, %zu nodes, runs %d: min %.0f us, median %.0f us\n",
              text.size(), stages, nodes, runs, us.front(), us[us.size() / 2]);
  return 0;
}
