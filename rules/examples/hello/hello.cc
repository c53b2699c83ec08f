// The example's service: prints a greeting, or checks itself with --self-test.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--self-test") == 0) {
    std::puts("self-test ok");
    return 0;
  }
  std::printf("hello from %s\n", argc > 1 ? argv[1] : "slipway");
  return 0;
}
