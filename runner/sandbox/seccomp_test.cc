// The compiled seccomp program: memoized per capability set, and a complete BPF program.
#include "runner/sandbox/seccomp.h"

#include <linux/capability.h>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "runner/sandbox/capabilities.h"

namespace runner {
namespace {

TEST(SeccompTest, CompiledOncePerCapabilitySet) {
  ASSERT_OK_AND_ASSIGN(auto first, SeccompFilterFor(DefaultCapabilities()));
  ASSERT_OK_AND_ASSIGN(auto again, SeccompFilterFor(DefaultCapabilities()));
  EXPECT_EQ(first.get(), again.get());
  std::vector<int> with_admin = DefaultCapabilities();
  with_admin.push_back(CAP_SYS_ADMIN);
  ASSERT_OK_AND_ASSIGN(auto admin, SeccompFilterFor(with_admin));
  EXPECT_NE(first.get(), admin.get());
  // CAP_SYS_ADMIN unlocks mount, unshare, clone with namespace flags…: a different program.
  EXPECT_NE(first->instructions.size(), admin->instructions.size());
}

// The program built into slipway is exactly what this build of the profile compiles to.
TEST(SeccompTest, PrebuiltProgramIsTheCompiledDefault) {
  EXPECT_TRUE(SeccompFilterIsPrebuilt(DefaultCapabilities()));
  ASSERT_OK_AND_ASSIGN(SeccompProgram compiled, CompileSeccompFilter(DefaultCapabilities()));
  ASSERT_OK_AND_ASSIGN(auto prebuilt, SeccompFilterFor(DefaultCapabilities()));
  ASSERT_EQ(prebuilt->instructions.size(), compiled.instructions.size());
  for (size_t i = 0; i < compiled.instructions.size(); ++i) {
    const sock_filter& a = prebuilt->instructions[i];
    const sock_filter& b = compiled.instructions[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k) << "at " << i;
  }
  std::vector<int> fewer = DefaultCapabilities();
  fewer.pop_back();
  EXPECT_FALSE(SeccompFilterIsPrebuilt(fewer));
}

TEST(SeccompTest, ProgramChecksArchitectureAndEndsInReturn) {
  ASSERT_OK_AND_ASSIGN(auto program, SeccompFilterFor(DefaultCapabilities()));
  ASSERT_GT(program->instructions.size(), 10u);
  // Every path ends in a return; the last instruction is one.
  EXPECT_EQ(BPF_CLASS(program->instructions.back().code), BPF_RET);
  // It starts by loading seccomp_data.arch (offset 4) to refuse foreign architectures.
  EXPECT_EQ(program->instructions.front().code, BPF_LD | BPF_W | BPF_ABS);
  EXPECT_EQ(program->instructions.front().k, 4u);
}

}  // namespace
}  // namespace runner
