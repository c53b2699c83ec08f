#include "builder/graph/graph.h"

#include "absl/strings/str_join.h"
#include "base/testing/status_matchers.h"
#include "builder/dockerfile/parser.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "oci/digest.h"

namespace builder::graph {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMulti[] = R"(ARG GO=1.22
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

absl::StatusOr<Graph> GraphOf(absl::string_view text, GraphOptions opts = {},
                              instructions::LoadOptions load = {}) {
  absl::StatusOr<dockerfile::Ast> ast = dockerfile::Parse(text);
  if (!ast.ok()) return ast.status();
  absl::StatusOr<instructions::Dockerfile> df = instructions::Load(*ast, load);
  if (!df.ok()) return df.status();
  return BuildGraph(*df, opts);
}

std::vector<int> StageIndexes(const Graph& g) {
  std::vector<int> out;
  for (const Stage& s : g.stages()) out.push_back(s.index());
  return out;
}

TEST(GraphTest, TargetPruning) {
  ASSERT_OK_AND_ASSIGN(Graph all, GraphOf(kMulti));
  EXPECT_EQ(all.target_stage(), 4);
  EXPECT_THAT(StageIndexes(all), ElementsAre(0, 1, 2, 4));  // docs is not needed
  GraphOptions opts;
  opts.target = "build";
  ASSERT_OK_AND_ASSIGN(Graph build, GraphOf(kMulti, opts));
  EXPECT_THAT(StageIndexes(build), ElementsAre(0, 1));
  opts.target = "3";
  ASSERT_OK_AND_ASSIGN(Graph docs, GraphOf(kMulti, opts));
  EXPECT_THAT(StageIndexes(docs), ElementsAre(3));
  opts.target = "nope";
  EXPECT_THAT(GraphOf(kMulti, opts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target stage `nope`")));
}

TEST(GraphTest, StageDependenciesAndParallelLevels) {
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf(kMulti));
  std::map<int, const Stage*> by_index;
  for (const Stage& s : g.stages()) by_index[s.index()] = &s;
  EXPECT_EQ(by_index[0]->level(), 0);
  EXPECT_EQ(by_index[2]->level(), 0);  // tools is independent of deps: same level, parallel
  EXPECT_EQ(by_index[1]->level(), 1);
  EXPECT_THAT(by_index[1]->depends_on_stages(), ElementsAre(0));
  EXPECT_EQ(by_index[4]->level(), 2);
  EXPECT_THAT(by_index[4]->depends_on_stages(), ElementsAre(1, 2));
  // The COPY --from node waits for build's last node; the RUN waits for tools' last node.
  const Stage& final_stage = *by_index[4];
  const Node& copy = g.nodes(final_stage.nodes(1));
  const Node& run = g.nodes(final_stage.nodes(2));
  EXPECT_THAT(copy.deps(), ElementsAre(final_stage.nodes(0), by_index[1]->nodes(2)));
  EXPECT_THAT(run.deps(), ElementsAre(copy.id(), by_index[2]->nodes(1)));
  EXPECT_EQ(copy.cache().stage_keys(0), g.nodes(by_index[1]->nodes(2)).cache().key());
}

TEST(GraphTest, CacheInputs) {
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf(kMulti));
  const Node& from = g.nodes(0);
  EXPECT_EQ(from.expanded(), "FROM golang:1.22 AS deps");
  EXPECT_EQ(from.cache().build_args().at("GO"), "1.22");
  const Node& copy = g.nodes(g.stages(1).nodes(1));
  EXPECT_EQ(copy.kind(), "COPY");
  EXPECT_THAT(copy.cache().context_paths(), ElementsAre("."));
  EXPECT_EQ(copy.cache().parent_key(), g.nodes(g.stages(1).nodes(0)).cache().key());
  EXPECT_TRUE(copy.creates_layer());
}

TEST(GraphTest, StageWithOnlyFromPassesItsBaseStageEnvOn) {
  // b is only `FROM a AS b`; c must still expand $E with a's ENV, in its cache inputs and key.
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf("FROM alpine AS a\nENV E=from-a\n"
                                        "FROM a AS b\n"
                                        "FROM b AS c\nWORKDIR /$E\n"));
  ASSERT_EQ(g.stages_size(), 3);
  const Node& workdir = g.nodes(g.stages(2).nodes(1));
  EXPECT_EQ(workdir.expanded(), "WORKDIR /from-a");
  EXPECT_EQ(workdir.cache().instruction(), "WORKDIR /from-a");
}

TEST(GraphTest, ArenaAndMovedInputsGiveTheSameGraph) {
  GraphOptions opts;
  opts.context_hasher = [](const std::vector<std::string>& paths) -> absl::StatusOr<std::string> {
    return "sha256:" + absl::StrJoin(paths, ",");
  };
  ASSERT_OK_AND_ASSIGN(Graph heap, GraphOf(kMulti, opts));
  ASSERT_OK_AND_ASSIGN(dockerfile::Ast ast, dockerfile::Parse(kMulti));
  ASSERT_OK_AND_ASSIGN(instructions::Dockerfile df, instructions::Load(ast));
  google::protobuf::Arena arena(GraphArenaOptions());
  ASSERT_OK_AND_ASSIGN(Graph * on_arena, BuildGraph(df, opts, &arena));
  EXPECT_EQ(on_arena->GetArena(), &arena);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(heap, *on_arena));
  ASSERT_OK_AND_ASSIGN(Graph * moved, BuildGraph(std::move(df), opts, &arena));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(heap, *moved));
  EXPECT_EQ(moved->nodes(0).original(), "FROM golang:$GO AS deps");
  opts.target = "nope";
  ASSERT_OK_AND_ASSIGN(instructions::Dockerfile df2, instructions::Load(ast));
  EXPECT_THAT(BuildGraph(df2, opts, &arena),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target stage `nope`")));
}

TEST(GraphTest, KeysAreDeterministicAndChangeWithInputs) {
  ASSERT_OK_AND_ASSIGN(Graph a, GraphOf(kMulti));
  ASSERT_OK_AND_ASSIGN(Graph b, GraphOf(kMulti));
  EXPECT_EQ(a.nodes(5).cache().key(), b.nodes(5).cache().key());
  instructions::LoadOptions load;
  load.build_args = {{"GO", "1.23"}};
  ASSERT_OK_AND_ASSIGN(Graph c, GraphOf(kMulti, {}, load));
  EXPECT_NE(a.nodes(0).cache().key(), c.nodes(0).cache().key());
  // The change propagates down through parent keys and stage keys.
  EXPECT_NE(a.nodes(a.nodes_size() - 1).cache().key(), c.nodes(c.nodes_size() - 1).cache().key());
  // The tools stage does not depend on GO.
  EXPECT_EQ(a.nodes(a.stages(2).nodes(1)).cache().key(),
            c.nodes(c.stages(2).nodes(1)).cache().key());
}

TEST(GraphTest, ContextHasherEntersTheKey) {
  std::vector<std::vector<std::string>> asked;
  GraphOptions opts;
  opts.context_hasher = [&](const std::vector<std::string>& paths) -> absl::StatusOr<std::string> {
    asked.push_back(paths);
    return std::string("sha256:content-v1");
  };
  ASSERT_OK_AND_ASSIGN(Graph v1, GraphOf("FROM x\nCOPY --exclude=*.md src/ /s\n", opts));
  EXPECT_THAT(asked, ElementsAre(ElementsAre("src/", "!*.md")));
  opts.context_hasher = [](const std::vector<std::string>&) -> absl::StatusOr<std::string> {
    return std::string("sha256:content-v2");
  };
  ASSERT_OK_AND_ASSIGN(Graph v2, GraphOf("FROM x\nCOPY --exclude=*.md src/ /s\n", opts));
  EXPECT_EQ(v1.nodes(1).cache().context_digest(), "sha256:content-v1");
  EXPECT_NE(v1.nodes(1).cache().key(), v2.nodes(1).cache().key());
  EXPECT_EQ(v1.nodes(0).cache().key(), v2.nodes(0).cache().key());
}

TEST(GraphTest, Formats) {
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf(kMulti));
  EXPECT_THAT(FormatText(g), HasSubstr("stage 1 (build) level 1 from deps needs stages 0"));
  EXPECT_THAT(FormatJson(g), HasSubstr("\"target_stage\": 4"));
  EXPECT_THAT(FormatDot(g), HasSubstr("subgraph cluster_4"));
}

// FormatJson writes the JSON itself; it must print what protobuf's converter prints.
std::string ProtobufJson(const Graph& g) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(g, &out, opts).ok());
  return out;
}

TEST(GraphTest, JsonIsProtobufs) {
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf(kMulti));
  EXPECT_EQ(FormatJson(g), ProtobufJson(g));
  instructions::LoadOptions load;
  load.build_args = {{"UNUSED", "1"}};
  ASSERT_OK_AND_ASSIGN(
      Graph odd, GraphOf("FROM alpine AS a\nLABEL x=\"<&> \\\"q\\\" \\\\ \t\x01\x7f\"\n"
                         "RUN echo \xc3\xa9 \xe2\x80\xa8 \xef\xbb\xbf \xf0\x9d\x85\xb3 \xf0\x9f\x98\x80\n"
                         "FROM a\nCOPY --from=a / /\n",
                         {}, load));
  odd.add_warnings("w\n");
  EXPECT_EQ(FormatJson(odd), ProtobufJson(odd));
  // Strings protobuf repairs: invalid or truncated UTF-8 is dropped, overlong forms are decoded.
  Graph bytes;
  for (const char* s : {"a\xff" "b", "\xc3" "A!", "x\xe2\x80", "\xed\xa0\x80" "s", "\xc1\x81",
                        "\xc0\x80", "\xf4\x90\x80\x80" "z", "\x80\xbf" "c", "\xc2\x85\xc2\xa0"}) {
    bytes.add_warnings(s);
  }
  Node* n = bytes.add_nodes();  // a node without cache inputs
  n->set_kind("K");
  bytes.add_stages()->set_name("s");
  EXPECT_EQ(FormatJson(bytes), ProtobufJson(bytes));
  EXPECT_EQ(FormatJson(Graph()), ProtobufJson(Graph()));
}

TEST(GraphTest, JsonSortsBuildArgs) {
  Graph g;
  auto* args = g.add_nodes()->mutable_cache()->mutable_build_args();
  for (const char* k : {"b", "a", "c\"", "B"}) (*args)[k] = k;
  EXPECT_THAT(FormatJson(g), HasSubstr(R"(    "build_args": {
     "B": "B",
     "a": "a",
     "b": "b",
     "c\"": "c\""
    },)"));
}

TEST(GraphTest, KeysAreSha256OfTheInputs) {
  ASSERT_OK_AND_ASSIGN(Graph g, GraphOf(kMulti));
  const Node& from = g.nodes(0);
  EXPECT_EQ(from.cache().key(),
            oci::Digest::Of("parent:0:\ninstruction:24:FROM golang:1.22 AS deps\narg:2:GO\n"
                            "value:4:1.22\ncontent:0:\n")
                .str());
}

}  // namespace
}  // namespace builder::graph
