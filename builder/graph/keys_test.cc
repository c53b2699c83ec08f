#include "builder/graph/keys.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/testing/status_matchers.h"
#include "builder/graph/graph_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/digest.h"

namespace builder::graph {
namespace {

using ::base_testing::StatusIs;
using ::builder::graph::testing::GraphOf;
using ::builder::graph::testing::kMulti;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// kMulti's keys by node id as BuildGraph computed them before keys became a separate step (at
// 648e968): the cache stays valid across the change.
constexpr const char* kMultiKeys[] = {
    "sha256:cd8204e63aae12a390e3eb34d21734bc1fdb79b7aa7a931d8cf8fd774dd6916f",
    "sha256:785c2271691ab02b63f95c2b4888a2f3944e4f6ba275526df039271a2fd26571",
    "sha256:b350968321978c6c110500968254936d10b0e7d75c2e09df1ca689ef8612f421",
    "sha256:8d5be55791c78195f0d52aff067b65e18436bc200350b04e2d71735dbe5e8df0",
    "sha256:46ed8310662e6851c2aaf4075a7c68344e82a9bb04f48ab11b882c2f16a7048d",
    "sha256:c9d507830f526ba9179528df2d39ccd0037dff263ea995e85897a8811c051757",
    "sha256:7ef26ac00f4811c82b944b1ecea63fb6ece10046b8b949e08e605c230095299e",
    "sha256:d6144a97a5df615da12cb8394e771746ba893ced0a4690952e1878727215bb55",
    "sha256:1f50f47d5986b0bab33a3ff8d90af0272903d3e9889bf199143b83ef70c65656",
    "sha256:2cf948d3c067fba20de1f5e2b7e496fe52ad39925b043eb88530a4495ecdeae0",
};

// The same with a context hasher returning "sha256:" + the paths joined by ",": node 3 (COPY .)
// reads the context, and the nodes after it (4; 8 and 9 through the stage key) change with it.
constexpr const char* kMultiKeysHashed[] = {
    kMultiKeys[0],
    kMultiKeys[1],
    kMultiKeys[2],
    "sha256:5230512ee2c42c75e7724662fbfa43df32db95693849383e55597404dd1c25c0",
    "sha256:e4c5061f035bbe4a8958fb923ff520068bb246e7ef80f35170e76a0031720b54",
    kMultiKeys[5],
    kMultiKeys[6],
    kMultiKeys[7],
    "sha256:1020178f3261c176b566ef412ecd5e5d20fa65fd78433d6568bdfed9c80f6992",
    "sha256:ff271b875b8ba0d4106154763f4b42e00e445d8bb4ee6c118463481131833fb0",
};

absl::StatusOr<std::string> JoinPaths(absl::Span<const absl::string_view> paths) {
  return "sha256:" + absl::StrJoin(paths, ",");
}

std::vector<std::string> AllKeys(const Keys& keys) {
  std::vector<std::string> out;
  for (int i = 0; i < keys.size(); ++i) out.emplace_back(keys.key(i));
  return out;
}

TEST(KeysTest, SameKeysAsBeforeKeysWereSeparate) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(built->graph));
  EXPECT_THAT(AllKeys(keys), ::testing::ElementsAreArray(kMultiKeys));
  ASSERT_OK_AND_ASSIGN(Keys hashed, ComputeKeys(built->graph, JoinPaths));
  EXPECT_THAT(AllKeys(hashed), ::testing::ElementsAreArray(kMultiKeysHashed));
  EXPECT_EQ(hashed.context_digest(3), "sha256:.");
  EXPECT_EQ(hashed.context_digest(2), "");
  EXPECT_EQ(keys.context_digest(3), "");
}

TEST(KeysTest, KeysAreSha256OfTheInputs) {
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf(kMulti));
  const Graph& g = built->graph;
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(g));
  EXPECT_EQ(keys.key(0),
            oci::Digest::Of("parent:0:\ninstruction:24:FROM golang:1.22 AS deps\narg:2:GO\n"
                            "value:4:1.22\ncontent:0:\n")
                .str());
  // The final stage's COPY --from=build: its parent's key and build's final key enter it.
  const Node& copy = g.nodes[8];
  ASSERT_EQ(copy.expanded(), "COPY --from=build /app /app");
  EXPECT_EQ(keys.key(8),
            oci::Digest::Of(absl::StrCat("parent:71:", keys.key(7),
                                         "\ninstruction:27:COPY --from=build /app /app\n"
                                         "stage:71:",
                                         keys.key(4), "\ncontent:0:\n"))
                .str());
}

TEST(KeysTest, KeysAreDeterministicAndChangeWithInputs) {
  ASSERT_OK_AND_ASSIGN(auto a, GraphOf(kMulti));
  ASSERT_OK_AND_ASSIGN(Keys ka, ComputeKeys(a->graph));
  ASSERT_OK_AND_ASSIGN(Keys ka2, ComputeKeys(a->graph));
  EXPECT_EQ(AllKeys(ka), AllKeys(ka2));
  instructions::LoadOptions load;
  load.build_args = {{"GO", "1.23"}};
  ASSERT_OK_AND_ASSIGN(auto c, GraphOf(kMulti, {}, load));
  ASSERT_OK_AND_ASSIGN(Keys kc, ComputeKeys(c->graph));
  EXPECT_NE(ka.key(0), kc.key(0));
  // The change propagates down through parent keys and stage keys.
  EXPECT_NE(ka.key(ka.size() - 1), kc.key(kc.size() - 1));
  // The tools stage does not depend on GO.
  EXPECT_EQ(ka.key(6), kc.key(6));
}

TEST(KeysTest, ContextHasherEntersTheKey) {
  std::vector<std::vector<std::string>> asked;
  ContextHasher v1 = [&](absl::Span<const absl::string_view> paths) -> absl::StatusOr<std::string> {
    asked.emplace_back(paths.begin(), paths.end());
    return std::string("sha256:content-v1");
  };
  ContextHasher v2 = [](absl::Span<const absl::string_view>) -> absl::StatusOr<std::string> {
    return std::string("sha256:content-v2");
  };
  ASSERT_OK_AND_ASSIGN(auto built, GraphOf("FROM x\nCOPY --exclude=*.md src/ /s\nRUN true\n"));
  ASSERT_OK_AND_ASSIGN(Keys k1, ComputeKeys(built->graph, v1));
  EXPECT_THAT(asked, ElementsAre(ElementsAre("src/", "!*.md")));  // only nodes that read context
  ASSERT_OK_AND_ASSIGN(Keys k2, ComputeKeys(built->graph, v2));
  ASSERT_OK_AND_ASSIGN(Keys plain, ComputeKeys(built->graph));
  EXPECT_EQ(k1.context_digest(1), "sha256:content-v1");
  EXPECT_NE(k1.key(1), k2.key(1));
  EXPECT_NE(k1.key(1), plain.key(1));
  EXPECT_NE(k1.key(2), k2.key(2));  // through the parent key
  EXPECT_EQ(k1.key(0), k2.key(0));
  EXPECT_EQ(k1.key(0), plain.key(0));
}

TEST(KeysTest, ContextHasherErrorsNameTheLine) {
  int calls = 0;
  ContextHasher failing = [&](absl::Span<const absl::string_view>) -> absl::StatusOr<std::string> {
    ++calls;
    return absl::NotFoundError("stat `src/`: No such file or directory");
  };
  GraphOptions opts;
  opts.dockerfile_name = "build/Dockerfile.app";
  ASSERT_OK_AND_ASSIGN(auto built,
                       GraphOf("FROM x\nRUN true\nCOPY src/ /s\nCOPY more/ /m\n", opts));
  EXPECT_THAT(ComputeKeys(built->graph, failing),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("build/Dockerfile.app:3: hashing context for COPY: stat `src/`: "
                                 "No such file or directory")));
  EXPECT_EQ(calls, 1);  // stops at the first error
}

TEST(KeysTest, EmptyGraph) {
  ASSERT_OK_AND_ASSIGN(Keys keys, ComputeKeys(Graph()));
  EXPECT_EQ(keys.size(), 0);
  EXPECT_EQ(Keys().size(), 0);
}

}  // namespace
}  // namespace builder::graph
