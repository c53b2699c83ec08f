#include "builder/graph/to_proto.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "builder/graph/format.h"
#include "builder/graph/graph_testing.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace builder::graph {
namespace {

using ::builder::graph::testing::GraphOf;
using ::builder::graph::testing::kMulti;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;

namespace pb = ::slipway::builder::graph;

absl::StatusOr<std::string> JoinPaths(absl::Span<const absl::string_view> paths) {
  std::string out = "sha256:";
  for (absl::string_view p : paths) out.append(p.data(), p.size());
  return out;
}

TEST(ToProtoTest, CarriesTheGraphAndItsKeys) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  const Graph& g = built->graph;
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(g, JoinPaths));
  pb::Graph p = ToProto(g, keys);
  EXPECT_EQ(p.dockerfile(), "Dockerfile");
  EXPECT_EQ(p.target_stage(), 4);
  EXPECT_EQ(p.total_stages(), 5);
  ASSERT_EQ(p.stages_size(), 4);
  EXPECT_EQ(p.stages(3).name(), "final");
  EXPECT_EQ(p.stages(3).base(), "scratch");
  EXPECT_EQ(p.stages(3).base_stage(), -1);
  EXPECT_THAT(p.stages(3).nodes(), ElementsAre(7, 8, 9));
  EXPECT_THAT(p.stages(3).depends_on_stages(), ElementsAre(1, 2));
  EXPECT_EQ(p.stages(3).level(), 2);
  ASSERT_EQ(p.nodes_size(), 10);
  for (int i = 0; i < p.nodes_size(); ++i) EXPECT_EQ(p.nodes(i).cache().key(), keys.key(i));
  const pb::Node& from = p.nodes(0);
  EXPECT_EQ(from.kind(), "FROM");
  EXPECT_EQ(from.expanded(), "FROM golang:1.22 AS deps");
  EXPECT_EQ(from.original(), "FROM golang:$GO AS deps");
  EXPECT_EQ(from.start_line(), 2);
  EXPECT_EQ(from.cache().parent_key(), "");
  EXPECT_EQ(from.cache().build_args().at("GO"), "1.22");
  const pb::Node& context_copy = p.nodes(3);
  EXPECT_EQ(context_copy.cache().parent_key(), keys.key(2));
  EXPECT_EQ(context_copy.cache().instruction(), "COPY . /src");
  EXPECT_THAT(context_copy.cache().context_paths(), ElementsAre("."));
  EXPECT_EQ(context_copy.cache().context_digest(), "sha256:.");
  EXPECT_TRUE(context_copy.creates_layer());
  const pb::Node& stage_copy = p.nodes(8);
  EXPECT_THAT(stage_copy.deps(), ElementsAre(7, 4));
  EXPECT_THAT(stage_copy.cache().stage_keys(), ElementsAre(keys.key(4)));
  EXPECT_EQ(stage_copy.cache().context_digest(), "");
}

TEST(ToProtoTest, RoundTripsThroughWireFormatAndJson) {
  instructions::LoadOptions load;
  load.build_args = {{"UNUSED", "1"}, {"GO", "1.23"}};
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti, {}, load));
  built->graph.warnings.push_back("a warning");
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph, JoinPaths));
  pb::Graph p = ToProto(built->graph, keys);
  EXPECT_THAT(p.unused_build_args(), ElementsAre("UNUSED"));
  EXPECT_THAT(p.warnings(), ElementsAre("a warning"));

  pb::Graph wire;
  ASSERT_TRUE(wire.ParseFromString(p.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(p, wire));
  // What `slipway graph --format json` prints parses back into the same message.
  pb::Graph from_json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(FormatJson(built->graph, keys), &from_json).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(p, from_json));
}

}  // namespace
}  // namespace builder::graph
