// Test helpers for builder/graph: a multi-stage Dockerfile and a way to build its graph while
// keeping the Dockerfile it refers to alive.
#ifndef SLIPWAY_BUILDER_GRAPH_GRAPH_TESTING_H_
#define SLIPWAY_BUILDER_GRAPH_GRAPH_TESTING_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "builder/dockerfile/parser.h"
#include "builder/graph/graph.h"
#include "builder/instructions/instructions.h"

namespace builder::graph::testing {

// Stages deps (0), build (1), tools (2), docs (3) and final (4); the last needs all but docs.
inline constexpr char kMulti[] = R"(ARG GO=1.22
FROM golang:$GO AS deps
RUN go mod download
FROM deps AS build
COPY . /src
RUN --mount=type=cache,target=/root/.cache go build -o /app
FROM alpine AS tools
RUN apk add curl
FROM alpine AS docs
COPY docs/ /docs
FROM scratch AS final
COPY --from=build /app /app
RUN --mount=type=bind,from=tools,source=/usr/bin/curl,target=/c true
)";

// A graph with the Dockerfile it was built from (the graph's nodes point into it).
struct Built {
  instructions::Dockerfile df;
  Graph graph;
};

inline absl::StatusOr<std::unique_ptr<Built>> GraphOf(absl::string_view text,
                                                      const GraphOptions& opts = {},
                                                      const instructions::LoadOptions& load = {}) {
  absl::StatusOr<dockerfile::Ast> ast = dockerfile::Parse(text);
  if (!ast.ok()) return ast.status();
  auto built = std::make_unique<Built>();
  absl::StatusOr<instructions::Dockerfile> df = instructions::Load(*ast, load);
  if (!df.ok()) return df.status();
  built->df = *std::move(df);
  absl::StatusOr<Graph> g = BuildGraph(built->df, opts);
  if (!g.ok()) return g.status();
  built->graph = *std::move(g);
  return built;
}

}  // namespace builder::graph::testing

#endif  // SLIPWAY_BUILDER_GRAPH_GRAPH_TESTING_H_
