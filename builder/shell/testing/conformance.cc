#include "builder/shell/testing/conformance.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace builder::testing {

absl::StatusOr<std::string> BuildkitDockerfileDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir ? srcdir : ".";
  std::vector<std::string> candidates = {
      base + "/conformance/buildkit-dockerfile",
      base + "/slipway/external/conformance/buildkit-dockerfile",
      base + "/__main__/external/conformance/buildkit-dockerfile",
      "external/conformance/buildkit-dockerfile",
  };
  for (const std::string& c : candidates) {
    struct stat st;
    if (stat(c.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return c;
  }
  return absl::NotFoundError(absl::StrCat("buildkit-dockerfile conformance data not found in: ",
                                          absl::StrJoin(candidates, ", ")));
}

absl::StatusOr<std::vector<std::string>> ListSubdirs(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("cannot open directory `", dir, "`"));
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::string> ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read `", path, "`"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace builder::testing
