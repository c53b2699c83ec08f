#include "runner/container/etc_hosts.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace runner {

absl::StatusOr<ExtraHost> ParseExtraHost(absl::string_view flag) {
  auto bad = [flag](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--add-host `", flag, "`: ", why));
  };
  size_t sep = flag.find('=');
  if (sep == absl::string_view::npos) sep = flag.find(':');
  if (sep == absl::string_view::npos) return bad("expected HOST:IP");
  ExtraHost h;
  h.name = std::string(flag.substr(0, sep));
  absl::string_view ip = absl::StripAsciiWhitespace(flag.substr(sep + 1));
  if (h.name.empty() || h.name.find_first_of(": \t\n") != std::string::npos)
    return bad("expected HOST:IP with a host name before the `:`");
  if (ip == "host-gateway")
    return bad(
        "`host-gateway` names a bridge network's gateway; slipway run has no bridge "
        "network (use --network host and 127.0.0.1)");
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  std::string ip_text(ip);
  unsigned char addr[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, ip_text.c_str(), addr) != 1 &&
      inet_pton(AF_INET6, ip_text.c_str(), addr) != 1)
    return bad(absl::StrCat("`", ip, "` is not an IPv4 or IPv6 address"));
  h.ip = ip_text;
  return h;
}

absl::Status ValidateHostname(absl::string_view name) {
  auto bad = [name](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid --hostname `", name, "`: ", why));
  };
  if (name.empty()) return bad("empty");
  if (name.size() > 64) return bad("longer than 64 bytes");
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty()) return bad("empty label (two dots, or a dot at an end)");
    for (char c : label)
      if (!absl::ascii_isalnum(c) && c != '-')
        return bad("only letters, digits, `-` and `.` are allowed");
    if (label.front() == '-' || label.back() == '-')
      return bad("a label cannot start or end with `-`");
  }
  return absl::OkStatus();
}

std::string AppendExtraHosts(std::string hosts, const std::vector<ExtraHost>& extra) {
  if (extra.empty()) return hosts;
  if (!hosts.empty() && hosts.back() != '\n') hosts.push_back('\n');
  for (const ExtraHost& h : extra) absl::StrAppend(&hosts, h.ip, "\t", h.name, "\n");
  return hosts;
}

}  // namespace runner
