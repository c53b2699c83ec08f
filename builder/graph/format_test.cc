#include "builder/graph/format.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "builder/graph/graph_testing.h"
#include "builder/graph/keys.h"
#include "builder/graph/to_proto.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace builder::graph {
namespace {

using ::builder::graph::testing::GraphOf;
using ::builder::graph::testing::kMulti;
using ::testing::HasSubstr;

// What `slipway graph` printed for kMulti before the graph became plain structs (648e968).
constexpr char kMultiText[] = R"golden(# Dockerfile: 4 of 5 stages needed for target stage 4
stage 0 (deps) level 0 from golang:1.22
  #0 line 2: FROM golang:1.22 AS deps
     key sha256:cd8204e63aae… args GO=1.22
  #1 line 3: RUN go mod download
     key sha256:785c2271691a…
stage 1 (build) level 1 from deps needs stages 0
  #2 line 4: FROM deps AS build
     key sha256:b35096832197…
  #3 line 5: COPY . /src
     key sha256:8d5be55791c7… context .
  #4 line 6: RUN --mount=type=cache,target=/root/.cache go build -o /app
     key sha256:46ed8310662e…
stage 2 (tools) level 0 from alpine
  #5 line 7: FROM alpine AS tools
     key sha256:c9d507830f52…
  #6 line 8: RUN apk add curl
     key sha256:7ef26ac00f48…
stage 4 (final) level 2 from scratch needs stages 1,2
  #7 line 11: FROM scratch AS final
     key sha256:d6144a97a5df…
  #8 line 12: COPY --from=build /app /app
     key sha256:1f50f47d5986… after #7,#4
  #9 line 13: RUN --mount=type=bind,from=tools,source=/usr/bin/curl,target=/c true
     key sha256:2cf948d3c067… after #8,#6
)golden";

constexpr char kMultiDot[] = R"golden(digraph slipway {
  rankdir=TB;
  node [shape=box, fontname=monospace];
  subgraph cluster_0 {
    label="stage 0 deps (level 0)";
    n0 [label="FROM golang:1.22 AS deps"];
    n1 [label="RUN go mod download"];
  }
  subgraph cluster_1 {
    label="stage 1 build (level 1)";
    n2 [label="FROM deps AS build"];
    n3 [label="COPY . /src"];
    n4 [label="RUN --mount=type=cache,target=/root/.cache go build -o /app"];
  }
  subgraph cluster_2 {
    label="stage 2 tools (level 0)";
    n5 [label="FROM alpine AS tools"];
    n6 [label="RUN apk add curl"];
  }
  subgraph cluster_4 {
    label="stage 4 final (level 2)";
    n7 [label="FROM scratch AS final"];
    n8 [label="COPY --from=build /app /app"];
    n9 [label="RUN --mount=type=bind,from=tools,source=/usr/bin/curl,tar..."];
  }
  n0 -> n1;
  n1 -> n2;
  n2 -> n3;
  n3 -> n4;
  n5 -> n6;
  n7 -> n8;
  n4 -> n8;
  n8 -> n9;
  n6 -> n9;
}
)golden";

TEST(FormatTest, TextAndDotAsBefore) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph));
  EXPECT_EQ(FormatText(built->graph, keys), kMultiText);
  EXPECT_EQ(FormatDot(built->graph), kMultiDot);
}

TEST(FormatTest, TextShowsPlatformArgsContextAndUnusedArgs) {
  instructions::LoadOptions load;
  load.build_args = {{"UNUSED", "1"}};
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf("FROM --platform=linux/arm64 alpine\nARG B=2 A=1\n"
                                           "COPY --exclude=x a b /d/\nRUN echo $A $B\n",
                                           {}, load));
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph));
  std::string text = FormatText(built->graph, keys);
  EXPECT_THAT(text, HasSubstr("# warning: build arg UNUSED was not consumed\n"));
  EXPECT_THAT(text, HasSubstr("stage 0 level 0 from alpine [linux/arm64]\n"));
  EXPECT_THAT(text, HasSubstr(" context a,b,!x\n"));
  EXPECT_THAT(text, HasSubstr(" args A=1,B=2\n"));
}

// FormatJson writes the JSON itself; it must print what protobuf's converter prints.
std::string ProtobufJson(const Graph& g, const Keys& keys) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(ToProto(g, keys), &out, opts).ok());
  return out;
}

TEST(FormatTest, JsonIsProtobufs) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph));
  EXPECT_EQ(FormatJson(built->graph, keys), ProtobufJson(built->graph, keys));
  EXPECT_THAT(FormatJson(built->graph, keys), HasSubstr("\"target_stage\": 4"));
  // With context digests.
  ASSERT_OK_AND_ASSIGN(
      Keys hashed,
      ComputeKeys(built->graph,
                  [](absl::Span<const absl::string_view>) -> absl::StatusOr<std::string> {
                    return std::string("sha256:c\"ontent");
                  }));
  EXPECT_EQ(FormatJson(built->graph, hashed), ProtobufJson(built->graph, hashed));

  instructions::LoadOptions load;
  load.build_args = {{"UNUSED", "1"}};
  ASSERT_OK_AND_ASSIGN(
      auto odd,
      GraphOf("FROM alpine AS a\nLABEL x=\"<&> \\\"q\\\" \\\\ \t\x01\x7f\"\n"
              "RUN echo \xc3\xa9 \xe2\x80\xa8 \xef\xbb\xbf \xf0\x9d\x85\xb3 \xf0\x9f\x98\x80\n"
              "FROM a\nCOPY --from=a / /\n",
              {}, load));
  odd->graph.warnings.push_back("w\n");
  // Strings protobuf repairs: invalid or truncated UTF-8 is dropped, overlong forms are decoded.
  for (const char* s : {"a\xff"
                        "b",
                        "\xc3"
                        "A!",
                        "x\xe2\x80",
                        "\xed\xa0\x80"
                        "s",
                        "\xc1\x81", "\xc0\x80",
                        "\xf4\x90\x80\x80"
                        "z",
                        "\x80\xbf"
                        "c",
                        "\xc2\x85\xc2\xa0"}) {
    odd->graph.warnings.push_back(s);
  }
  ASSERT_OK_AND_ASSIGN(Keys odd_keys, ComputeKeys(odd->graph));
  EXPECT_EQ(FormatJson(odd->graph, odd_keys), ProtobufJson(odd->graph, odd_keys));
  EXPECT_EQ(FormatJson(Graph(), Keys()), ProtobufJson(Graph(), Keys()));
}

// The one difference from protobuf's JSON: protobuf prints map entries in its hash map's order.
TEST(FormatTest, JsonBuildArgsAreSortedByName) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf("FROM x\nARG b=b a=a B=B\nRUN echo $b $a $B\n"));
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph));
  std::string json = FormatJson(built->graph, keys);
  EXPECT_THAT(json, HasSubstr(R"(    "build_args": {
     "B": "B",
     "a": "a",
     "b": "b"
    },)"));
}

}  // namespace
}  // namespace builder::graph
