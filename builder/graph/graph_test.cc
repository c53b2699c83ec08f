#include "builder/graph/graph.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "builder/graph/format.h"
#include "builder/graph/graph_testing.h"
#include "builder/graph/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder::graph {
namespace {

using ::base_testing::StatusIs;
using ::builder::graph::testing::Built;
using ::builder::graph::testing::GraphOf;
using ::builder::graph::testing::kMulti;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<int> StageIndexes(const Graph& g) {
  std::vector<int> out;
  for (const Stage& s : g.stages) out.push_back(s.index);
  return out;
}

std::vector<int> Ints(absl::Span<const int> s) { return std::vector<int>(s.begin(), s.end()); }

TEST(GraphTest, TargetPruning) {
  ASSERT_OK_AND_ASSIGN(auto all, GraphOf(kMulti));
  EXPECT_EQ(all->graph.target_stage, 4);
  EXPECT_EQ(all->graph.total_stages, 5);
  EXPECT_THAT(StageIndexes(all->graph), ElementsAre(0, 1, 2, 4));  // docs is not needed
  GraphOptions opts;
  opts.target = "build";
  ASSERT_OK_AND_ASSIGN(auto build, GraphOf(kMulti, opts));
  EXPECT_THAT(StageIndexes(build->graph), ElementsAre(0, 1));
  opts.target = "3";
  ASSERT_OK_AND_ASSIGN(auto docs, GraphOf(kMulti, opts));
  EXPECT_THAT(StageIndexes(docs->graph), ElementsAre(3));
  opts.target = "BUILD";  // stage names are case-insensitive
  ASSERT_OK_AND_ASSIGN(auto upper, GraphOf(kMulti, opts));
  EXPECT_EQ(upper->graph.target_stage, 1);
  opts.target = "nope";
  EXPECT_THAT(GraphOf(kMulti, opts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("target stage `nope` not found; stages: deps, build, tools, "
                                 "docs, final")));
}

// parent() and stage_keys() are derived from a node's id and deps, not stored: they must hold in a
// pruned graph (ids renumbered) as in a whole one.
TEST(GraphTest, ParentAndStageKeysAfterPruning) {
  for (const char* target : {"", "build", "3"}) {
    SCOPED_TRACE(target);
    GraphOptions opts;
    opts.target = target;
    ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti, opts));
    const Graph& g = built->graph;
    for (const Stage& s : g.stages) {
      absl::Span<const int> ids = g.Get(s.nodes);
      ASSERT_FALSE(ids.empty());
      for (size_t i = 0; i < ids.size(); ++i) {
        const Node& n = g.nodes[ids[i]];
        EXPECT_EQ(n.id, ids[i]);
        EXPECT_EQ(n.parent(), i == 0 ? -1 : ids[i - 1]);
        std::vector<int> deps = Ints(g.Get(n.deps));
        std::vector<int> keys = Ints(g.Get(n.stage_keys()));
        if (i > 0) keys.insert(keys.begin(), n.parent());
        EXPECT_EQ(deps, keys);
        for (int k : g.Get(n.stage_keys())) EXPECT_LT(g.nodes[k].stage, n.stage);
      }
    }
  }
}

TEST(GraphTest, StageDependenciesAndParallelLevels) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  const Graph& g = built->graph;
  std::map<int, const Stage*> by_index;
  for (const Stage& s : g.stages) by_index[s.index] = &s;
  EXPECT_EQ(by_index[0]->level, 0);
  EXPECT_EQ(by_index[2]->level, 0);  // tools is independent of deps: same level, parallel
  EXPECT_EQ(by_index[1]->level, 1);
  EXPECT_THAT(Ints(g.Get(by_index[1]->depends_on_stages)), ElementsAre(0));
  EXPECT_EQ(by_index[4]->level, 2);
  EXPECT_THAT(Ints(g.Get(by_index[4]->depends_on_stages)), ElementsAre(1, 2));
  // The COPY --from node waits for build's last node; the RUN waits for tools' last node.
  auto final_nodes = g.Get(by_index[4]->nodes);
  const Node& copy = g.nodes[final_nodes[1]];
  const Node& run = g.nodes[final_nodes[2]];
  const int build_last = g.Get(by_index[1]->nodes).back();
  const int tools_last = g.Get(by_index[2]->nodes).back();
  EXPECT_THAT(Ints(g.Get(copy.deps)), ElementsAre(final_nodes[0], build_last));
  EXPECT_THAT(Ints(g.Get(run.deps)), ElementsAre(copy.id, tools_last));
  EXPECT_THAT(Ints(g.Get(copy.stage_keys())), ElementsAre(build_last));
  EXPECT_EQ(copy.parent(), final_nodes[0]);
  // FROM a stage depends on that stage's final node, and has no parent.
  const Node& build_from = g.nodes[g.Get(by_index[1]->nodes)[0]];
  EXPECT_EQ(build_from.parent(), -1);
  EXPECT_THAT(Ints(g.Get(build_from.deps)), ElementsAre(g.Get(by_index[0]->nodes).back()));
  EXPECT_EQ(by_index[1]->base_stage, 0);
  EXPECT_EQ(by_index[1]->base, "deps");
}

TEST(GraphTest, NodesReferToTheDockerfile) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  const Graph& g = built->graph;
  ASSERT_EQ(g.nodes.size(), 10u);  // 12 commands, less docs' 2
  for (size_t i = 0; i < g.nodes.size(); ++i) EXPECT_EQ(g.nodes[i].id, static_cast<int>(i));
  const Node& from = g.nodes[0];
  EXPECT_EQ(from.command, &built->df.stages[0].commands[0]);
  EXPECT_EQ(from.kind(), "FROM");
  EXPECT_EQ(from.expanded(), "FROM golang:1.22 AS deps");
  EXPECT_EQ(from.original(), "FROM golang:$GO AS deps");
  EXPECT_EQ(from.start_line(), 2);
  EXPECT_EQ(from.end_line(), 2);
  EXPECT_EQ(g.dockerfile, "Dockerfile");
  EXPECT_EQ(g.stages[0].name, "deps");
  EXPECT_EQ(g.stages[0].base, "golang:1.22");
}

TEST(GraphTest, CacheInputs) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  const Graph& g = built->graph;
  const Node& from = g.nodes[0];
  auto args = g.Get(from.cache.build_args);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].name, "GO");
  EXPECT_EQ(args[0].value, "1.22");
  EXPECT_FALSE(from.creates_layer());
  const Node& copy = g.nodes[g.Get(g.stages[1].nodes)[1]];
  EXPECT_EQ(copy.kind(), "COPY");
  EXPECT_THAT(g.Get(copy.cache.context_paths), ElementsAre("."));
  EXPECT_EQ(copy.parent(), g.Get(g.stages[1].nodes)[0]);
  EXPECT_TRUE(copy.creates_layer());
}

TEST(GraphTest, ConsecutiveRunsShareTheirBuildArgs) {
  instructions::LoadOptions load;
  load.build_args = {{"HTTP_PROXY", "http://proxy"}};
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf("FROM x\nARG A=1\nRUN a\nRUN b\nARG B=2\nRUN c\n"
                                           "RUN d\nWORKDIR /w\n",
                                           {}, load));
  const Graph& g = built->graph;
  auto args_of = [&g](int id) {
    std::vector<std::string> out;
    for (const BuildArg& a : g.Get(g.nodes[id].cache.build_args)) {
      out.push_back(absl::StrCat(a.name, "=", a.value));
    }
    return out;
  };
  // RUN sees every ARG in scope (and proxies, which are never inputs); WORKDIR reads none.
  EXPECT_THAT(args_of(2), ElementsAre("A=1"));
  EXPECT_THAT(args_of(3), ElementsAre("A=1"));
  EXPECT_THAT(args_of(5), ElementsAre("A=1", "B=2"));
  EXPECT_THAT(args_of(6), ElementsAre("A=1", "B=2"));
  EXPECT_THAT(args_of(7), ElementsAre());
}

TEST(GraphTest, ContextPathsAndBuildArgs) {
  instructions::LoadOptions load;
  load.build_args = {{"HTTP_PROXY", "http://proxy"}, {"UNUSED", "1"}};
  ASSERT_OK_AND_ASSIGN(
      auto built,
      GraphOf("FROM alpine AS a\n"
              "ARG HTTP_PROXY\nARG B=2 A=1\n"
              "RUN echo $HTTP_PROXY $B $A\n"
              "COPY --exclude=*.md --exclude=tmp/ src/ https://example.com/x.tgz other /dst/\n"
              "RUN --mount=type=bind,target=/ctx --mount=type=bind,source=sub,target=/s "
              "--mount=type=bind,from=a,target=/a --mount=type=bind,from=busybox,target=/b "
              "--mount=type=cache,target=/c make\n"
              "FROM a\nCOPY --from=busybox /bin/sh /sh\n"
              "RUN --mount=type=bind,from=a,source=/x,target=/y --mount=type=bind,from=0,target=/z "
              "--mount=type=bind,source=k,target=/k true\n",
              {}, load));
  Graph g = std::move(built->graph);  // views into the graph's own strings survive a move
  EXPECT_THAT(g.unused_build_args, ElementsAre("UNUSED"));
  const Node& run = g.nodes[3];
  std::vector<std::pair<std::string, std::string>> args;
  for (const BuildArg& a : g.Get(run.cache.build_args)) args.emplace_back(a.name, a.value);
  // Sorted by name; the proxy arg is not an input.
  using Arg = std::pair<std::string, std::string>;
  EXPECT_THAT(args, ElementsAre(Arg("A", "1"), Arg("B", "2")));
  const Node& copy = g.nodes[4];
  EXPECT_THAT(g.Get(copy.cache.context_paths), ElementsAre("src/", "other", "!*.md", "!tmp/"));
  // Stage `a` cannot read itself: from=a is an image reference there, like busybox.
  const Node& mounts = g.nodes[5];
  EXPECT_THAT(g.Get(mounts.cache.context_paths), ElementsAre(".", "sub"));
  EXPECT_THAT(Ints(g.Get(mounts.stage_keys())), IsEmpty());
  const Node& image_copy = g.nodes[7];  // COPY --from an image reads no context and no stage
  EXPECT_THAT(g.Get(image_copy.cache.context_paths), IsEmpty());
  EXPECT_THAT(Ints(g.Get(image_copy.deps)), ElementsAre(6));
  const Node& stage_run = g.nodes[8];  // both mounts read stage 0: one dependency
  EXPECT_THAT(Ints(g.Get(stage_run.deps)), ElementsAre(7, 5));
  EXPECT_THAT(Ints(g.Get(stage_run.stage_keys())), ElementsAre(5));
  EXPECT_THAT(g.Get(stage_run.cache.context_paths), ElementsAre("k"));
}

TEST(GraphTest, StageWithOnlyFromPassesItsBaseStageEnvOn) {
  // b is only `FROM a AS b`; c must still expand $E with a's ENV, in its cache inputs and key.
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf("FROM alpine AS a\nENV E=from-a\n"
                                           "FROM a AS b\n"
                                           "FROM b AS c\nWORKDIR /$E\n"));
  const Graph& g = built->graph;
  ASSERT_EQ(g.stages.size(), 3u);
  const Node& workdir = g.nodes[g.Get(g.stages[2].nodes)[1]];
  EXPECT_EQ(workdir.expanded(), "WORKDIR /from-a");
}

TEST(GraphTest, BigDockerfileGraphLivesInItsRegionAndIsTheSame) {
  std::string big = "ARG BASE=alpine\n";
  for (int s = 0; big.size() < (80 << 10); ++s) {
    absl::StrAppend(&big, "FROM ${BASE} AS s", s, "\nARG V=", s,
                    "\nRUN --mount=type=cache,target=/c", s, " echo $V\n",
                    s > 0 ? absl::StrCat("COPY --from=s", s - 1, " /a /b\n") : "",
                    "COPY --exclude=*.tmp src/ /dst/\n");
  }
  // A big Dockerfile is built in a region, and its graph goes there too.
  ASSERT_OK_AND_ASSIGN(instructions::Dockerfile df, instructions::ParseAndLoad(big));
  const std::shared_ptr<base::PageRegion>& region = df.storage->region();
  ASSERT_NE(region, nullptr);
  GraphOptions opts;
  opts.target = "s3";  // pruned: most stages dropped after they were built
  ASSERT_OK_AND_ASSIGN(Graph in_region, BuildGraph(df, opts));
  EXPECT_EQ(in_region.nodes.get_allocator().region(), region);
  EXPECT_TRUE(region->Contains(in_region.nodes.data()));
  // Parse then Load share the Ast's region too.
  ASSERT_OK_AND_ASSIGN(dockerfile::Ast ast, dockerfile::Parse(big));
  ASSERT_NE(ast.storage->region(), nullptr);
  ASSERT_OK_AND_ASSIGN(instructions::Dockerfile loaded, instructions::Load(ast));
  EXPECT_EQ(loaded.storage->region(), ast.storage->region());
  // The same Dockerfile loaded without a region: commands and graph on the heap, same output.
  instructions::LoadOptions load_options;
  instructions::Loader loader(load_options, ast.file_name, ast.escape);
  for (const dockerfile::Node& n : ast.children) ASSERT_OK(loader.Add(n));
  ASSERT_OK_AND_ASSIGN(instructions::Dockerfile heap_df, loader.Finish(ast));
  ASSERT_EQ(heap_df.storage->region(), nullptr);
  ASSERT_OK_AND_ASSIGN(Graph on_heap, BuildGraph(heap_df, opts));
  EXPECT_EQ(on_heap.nodes.get_allocator().region(), nullptr);
  EXPECT_EQ(FormatJson(in_region, ComputeKeys(in_region).value()),
            FormatJson(on_heap, ComputeKeys(on_heap).value()));
  ASSERT_OK_AND_ASSIGN(Graph whole, BuildGraph(df));
  ASSERT_OK_AND_ASSIGN(Graph whole_on_heap, BuildGraph(heap_df));
  EXPECT_GT(whole.nodes.size(), 1000u);
  EXPECT_EQ(FormatText(whole, ComputeKeys(whole).value()),
            FormatText(whole_on_heap, ComputeKeys(whole_on_heap).value()));
}

}  // namespace
}  // namespace builder::graph
