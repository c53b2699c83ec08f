#include "runner/sandbox/process.h"

#include <cstdlib>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace runner {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};
struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<PasswdEntry> ParsePasswd(const std::string& text) {
  std::vector<PasswdEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 4) continue;
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (!absl::SimpleAtoi(f[2], &e.uid) || !absl::SimpleAtoi(f[3], &e.gid)) continue;
    if (f.size() > 5) e.home = std::string(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(const std::string& text) {
  std::vector<GroupEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 3) continue;
    GroupEntry e;
    e.name = std::string(f[0]);
    if (!absl::SimpleAtoi(f[2], &e.gid)) continue;
    if (f.size() > 3)
      for (absl::string_view m : absl::StrSplit(f[3], ',', absl::SkipEmpty()))
        e.members.emplace_back(m);
    out.push_back(std::move(e));
  }
  return out;
}

absl::string_view EnvKey(absl::string_view kv) {
  size_t eq = kv.find('=');
  return eq == absl::string_view::npos ? kv : kv.substr(0, eq);
}

void SetEnv(std::vector<std::string>& env, const std::string& kv) {
  absl::string_view key = EnvKey(kv);
  for (std::string& e : env) {
    if (EnvKey(e) == key && e.size() > key.size() && e[key.size()] == '=') {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

const std::string* FindEnv(const std::vector<std::string>& env, absl::string_view key) {
  for (const std::string& e : env)
    if (EnvKey(e) == key && e.size() > key.size()) return &e;
  return nullptr;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CombineCommand(
    const std::optional<std::vector<std::string>>& image_entrypoint,
    const std::optional<std::vector<std::string>>& image_cmd,
    const std::optional<std::string>& entrypoint_override, const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (entrypoint_override.has_value()) {
    // `--entrypoint` resets the image's CMD too; only the run arguments follow it.
    if (!entrypoint_override->empty()) argv.push_back(*entrypoint_override);
    argv.insert(argv.end(), args.begin(), args.end());
  } else {
    if (image_entrypoint.has_value())
      argv.insert(argv.end(), image_entrypoint->begin(), image_entrypoint->end());
    if (!args.empty()) {
      argv.insert(argv.end(), args.begin(), args.end());
    } else if (image_cmd.has_value()) {
      argv.insert(argv.end(), image_cmd->begin(), image_cmd->end());
    }
  }
  if (argv.empty())
    return absl::InvalidArgumentError(
        "no command specified: the image has no ENTRYPOINT or CMD and none was given");
  return argv;
}

absl::StatusOr<ResolvedUser> ResolveUser(const std::string& user, const std::string& passwd,
                                         const std::string& group) {
  ResolvedUser out;
  if (user.empty()) {
    for (const PasswdEntry& e : ParsePasswd(passwd))
      if (e.uid == 0) {
        out.home = e.home.empty() ? "/" : e.home;
        break;
      }
    out.additional_gids.push_back(0);
    for (const GroupEntry& g : ParseGroup(group))
      for (const std::string& m : g.members)
        if (m == "root" && g.gid != 0) out.additional_gids.push_back(g.gid);
    return out;
  }
  std::string user_part = user, group_part;
  bool has_group = false;
  if (size_t colon = user.find(':'); colon != std::string::npos) {
    user_part = user.substr(0, colon);
    group_part = user.substr(colon + 1);
    has_group = true;
  }
  std::vector<PasswdEntry> users = ParsePasswd(passwd);
  uint32_t numeric = 0;
  bool user_is_numeric = absl::SimpleAtoi(user_part, &numeric);
  const PasswdEntry* found = nullptr;
  for (const PasswdEntry& e : users) {
    if ((user_is_numeric && e.uid == numeric) || (!user_is_numeric && e.name == user_part)) {
      found = &e;
      break;
    }
  }
  if (found == nullptr && !user_is_numeric)
    return absl::InvalidArgumentError(absl::StrCat(
        "unable to find user `", user_part, "`: no matching entry in the image's /etc/passwd"));
  out.uid = found != nullptr ? found->uid : numeric;
  out.gid = found != nullptr ? found->gid : 0;
  if (found != nullptr && !found->home.empty()) out.home = found->home;

  std::vector<GroupEntry> groups = ParseGroup(group);
  if (has_group) {
    uint32_t gid = 0;
    if (absl::SimpleAtoi(group_part, &gid)) {
      out.gid = gid;
    } else {
      const GroupEntry* g = nullptr;
      for (const GroupEntry& e : groups)
        if (e.name == group_part) {
          g = &e;
          break;
        }
      if (g == nullptr)
        return absl::InvalidArgumentError(absl::StrCat(
            "unable to find group `", group_part, "`: no matching entry in the image's /etc/group"));
      out.gid = g->gid;
    }
  }
  // Like Docker, the primary group is also the first supplementary group.
  out.additional_gids.push_back(out.gid);
  if (found != nullptr) {
    for (const GroupEntry& g : groups)
      for (const std::string& m : g.members)
        if (m == found->name && g.gid != out.gid) {
          out.additional_gids.push_back(g.gid);
          break;
        }
  }
  return out;
}

std::vector<std::string> BuildEnv(const std::vector<std::string>& image_env,
                                  const std::vector<std::string>& overrides,
                                  const std::string& hostname, const std::string& home,
                                  const std::vector<std::string>& host_env) {
  std::vector<std::string> env;
  if (FindEnv(image_env, "PATH") == nullptr) env.push_back(absl::StrCat("PATH=", kDefaultPath));
  env.push_back(absl::StrCat("HOSTNAME=", hostname));
  for (const std::string& e : image_env) SetEnv(env, e);
  for (const std::string& o : overrides) {
    if (o.find('=') != std::string::npos) {
      SetEnv(env, o);
    } else if (const std::string* h = FindEnv(host_env, o)) {
      SetEnv(env, *h);
    }
  }
  if (FindEnv(env, "HOME") == nullptr) env.push_back(absl::StrCat("HOME=", home));
  return env;
}

std::string LookPath(const std::string& name, const std::vector<std::string>& env,
                     bool (*exists)(const std::string& path, void* ctx), void* ctx) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = kDefaultPath;
  if (const std::string* p = FindEnv(env, "PATH")) path = p->substr(5);
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (exists(candidate, ctx)) return candidate;
  }
  return "";
}

}  // namespace runner
