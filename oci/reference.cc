// Image reference parsing, following the grammar of github.com/distribution/reference:
//
//   reference       := name [ ":" tag ] [ "@" digest ]
//   name            := [domain "/"] path-component ["/" path-component]*
//   domain          := host [":" port]            host := domain-name | "[" ipv6 "]"
//   domain-name     := domain-component ["." domain-component]*
//   domain-component:= /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
//   port            := /[0-9]+/
//   path-component  := /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/
//   tag             := /[\w][\w.-]{0,127}/
//   digest          := algorithm ":" hex   (only sha256 accepted, see digest.h)
//
// Normalisation as Docker does (ParseNormalizedNamed): the first component is a domain if it contains
// `.` or `:`, is `localhost`, or has an uppercase letter; otherwise the domain is docker.io, and a
// single-component docker.io name gets `library/`. index.docker.io becomes docker.io. The full name
// (domain/path) may be at most 255 characters.
#include "oci/reference.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace oci {
namespace {

constexpr absl::string_view kDockerDomain = "docker.io";
constexpr absl::string_view kLegacyDockerDomain = "index.docker.io";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

absl::Status Invalid(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid reference `", text, "`: ", reason));
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Checks one path component against /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/; returns a reason
// or "" when valid.
std::string PathComponentProblem(absl::string_view c) {
  if (c.empty()) return "empty path component (leading, trailing or double `/`)";
  if (!IsLowerAlnum(c.front())) {
    return absl::StrCat("path component `", c, "` must start with a lowercase letter or digit");
  }
  if (!IsLowerAlnum(c.back())) {
    return absl::StrCat("path component `", c, "` must end with a lowercase letter or digit");
  }
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: one `.`, one `_`, exactly `__`, or any number of `-`.
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    absl::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == absl::string_view::npos;
    if (!ok) {
      for (char ch : sep) {
        if (ch != '.' && ch != '_' && ch != '-') {
          return absl::StrCat("path component `", c, "` contains `", std::string(1, ch),
                              "` (allowed: a-z, 0-9, and the separators `.`, `_`, `__`, `-`)");
        }
      }
      return absl::StrCat("path component `", c, "` has the invalid separator `", sep, "`");
    }
    i = j;
  }
  return "";
}

bool IsDomainComponent(absl::string_view c) {
  if (c.empty()) return false;
  auto alnum = [](char ch) { return absl::ascii_isalnum(static_cast<unsigned char>(ch)); };
  if (!alnum(c.front()) || !alnum(c.back())) return false;
  for (char ch : c) {
    if (!alnum(ch) && ch != '-') return false;
  }
  return true;
}

std::string DomainProblem(absl::string_view domain) {
  absl::string_view host = domain;
  absl::string_view port;
  if (!domain.empty() && domain.front() == '[') {
    size_t close = domain.find(']');
    if (close == absl::string_view::npos) return absl::StrCat("domain `", domain, "` lacks `]`");
    absl::string_view addr = domain.substr(1, close - 1);
    if (addr.empty()) return "empty IPv6 address in domain";
    for (char c : addr) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':') {
        return absl::StrCat("IPv6 address `", addr, "` contains `", std::string(1, c), "`");
      }
    }
    absl::string_view rest = domain.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return absl::StrCat("unexpected `", rest, "` after IPv6 address");
      port = rest.substr(1);
      if (port.empty()) return "empty port in domain";
    }
  } else {
    size_t colon = domain.find(':');
    if (colon != absl::string_view::npos) {
      host = domain.substr(0, colon);
      port = domain.substr(colon + 1);
      if (port.empty()) return absl::StrCat("empty port in domain `", domain, "`");
    }
    for (absl::string_view c : absl::StrSplit(host, '.')) {
      if (!IsDomainComponent(c)) {
        return absl::StrCat("invalid domain `", domain,
                            "` (components are letters, digits and inner `-`, separated by `.`)");
      }
    }
  }
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::StrCat("port `", port, "` in domain `", domain, "` is not a number");
    }
  }
  return "";
}

std::string TagProblem(absl::string_view tag) {
  if (tag.empty()) return "empty tag after `:`";
  if (tag.size() > kMaxTagLength) {
    return absl::StrCat("tag is ", tag.size(), " characters, at most ", kMaxTagLength,
                        " are allowed");
  }
  if (!IsWordChar(tag.front())) {
    return absl::StrCat("tag `", tag, "` must start with a letter, digit or `_`");
  }
  for (char c : tag) {
    if (!IsWordChar(c) && c != '.' && c != '-') {
      return absl::StrCat("tag `", tag, "` contains `", std::string(1, c),
                          "` (allowed: letters, digits, `_`, `.`, `-`)");
    }
  }
  return "";
}

bool IsValidTag(absl::string_view tag) { return TagProblem(tag).empty(); }

// The validated repository path (with `/`); "" on success else the reason.
std::string RepositoryProblem(absl::string_view path) {
  for (absl::string_view c : absl::StrSplit(path, '/')) {
    std::string p = PathComponentProblem(c);
    if (!p.empty()) return p;
  }
  return "";
}

bool HasUpper(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Reference> Reference::Parse(absl::string_view text) {
  if (text.empty()) return Invalid(text, "repository name must have at least one component");
  if (text.size() == 64 && text.find_first_not_of("0123456789abcdef") == absl::string_view::npos) {
    return Invalid(text, "a repository name cannot be a 64-character hexadecimal string "
                         "(did you mean `sha256:…` after `@`?)");
  }
  Reference ref;
  absl::string_view rest = text;

  // Digest: everything after the first `@`.
  if (size_t at = rest.find('@'); at != absl::string_view::npos) {
    absl::string_view digest_text = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (digest_text.empty()) return Invalid(text, "`@` must be followed by a digest");
    absl::StatusOr<Digest> d = Digest::Parse(digest_text);
    if (!d.ok()) return Invalid(text, d.status().message());
    ref.digest = *std::move(d);
  }
  if (rest.empty()) return Invalid(text, "repository name must have at least one component");

  // Tag: a `:` after the last `/` (a `:` before it belongs to the domain's port).
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    absl::string_view tag = rest.substr(colon + 1);
    std::string problem = TagProblem(tag);
    if (!problem.empty()) return Invalid(text, problem);
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Invalid(text, "repository name must have at least one component");

  // Domain detection (distribution/reference splitDockerDomain).
  absl::string_view domain = kDockerDomain;
  absl::string_view path = rest;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    absl::string_view first = rest.substr(0, slash);
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost" ||
        HasUpper(first) || (!first.empty() && first.front() == '[')) {
      domain = first;
      path = rest.substr(slash + 1);
      if (domain.empty()) return Invalid(text, "empty domain");
      std::string problem = DomainProblem(domain);
      if (!problem.empty()) return Invalid(text, problem);
    }
  }
  if (domain == kLegacyDockerDomain) domain = kDockerDomain;
  ref.registry = std::string(domain);
  if (HasUpper(path)) {
    return Invalid(text, absl::StrCat("repository name `", path, "` must be lowercase"));
  }
  if (path.empty()) return Invalid(text, "repository name must have at least one component");
  std::string problem = RepositoryProblem(path);
  if (!problem.empty()) return Invalid(text, problem);
  if (domain == kDockerDomain && !absl::StrContains(path, '/')) {
    ref.repository = absl::StrCat("library/", path);
  } else {
    ref.repository = std::string(path);
  }
  if (ref.Name().size() > kMaxNameLength) {
    return Invalid(text, absl::StrCat("repository name `", ref.Name(), "` is ", ref.Name().size(),
                                      " characters, at most ", kMaxNameLength, " are allowed"));
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

std::string Reference::Name() const { return absl::StrCat(registry, "/", repository); }

std::string Reference::ToString() const {
  std::string out = Name();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (!digest.empty()) absl::StrAppend(&out, "@", digest.str());
  return out;
}

std::string Reference::Familiar() const {
  std::string out;
  if (registry == kDockerDomain) {
    absl::string_view repo = repository;
    if (absl::StartsWith(repo, "library/") && !absl::StrContains(repo.substr(8), '/')) {
      repo.remove_prefix(8);
    }
    out = std::string(repo);
  } else {
    out = Name();
  }
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (!digest.empty()) absl::StrAppend(&out, "@", digest.str());
  return out;
}

std::string Reference::Identifier() const { return tag.empty() ? digest.str() : tag; }

std::string Reference::ApiHost() const {
  return registry == kDockerDomain ? "registry-1.docker.io" : registry;
}

// --- ImageLocation ---

absl::StatusOr<ImageLocation> ImageLocation::Parse(absl::string_view text) {
  ImageLocation loc;
  auto invalid = [&](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("invalid image location `", text, "`: ", reason));
  };
  if (absl::ConsumePrefix(&text, "oci:")) {
    // oci:DIR[:TAG]. The part after the last `:` is a tag when it is a valid tag and DIR is not
    // empty; otherwise the whole text is DIR (so `oci:/a:b/c` is the folder `/a:b/c`). A trailing
    // `:` is an error (an empty tag is never meant).
    loc.kind = Kind::kOciLayout;
    if (text.empty()) return invalid("missing directory after `oci:`");
    if (text.back() == ':') return invalid("empty tag after `:`");
    size_t colon = text.rfind(':');
    if (colon != absl::string_view::npos && colon > 0 && IsValidTag(text.substr(colon + 1))) {
      loc.path = std::string(text.substr(0, colon));
      loc.tag = std::string(text.substr(colon + 1));
      loc.name = loc.tag;
    } else {
      loc.path = std::string(text);
    }
    return loc;
  }
  if (absl::ConsumePrefix(&text, "docker-archive:")) {
    // docker-archive:FILE[:REF], REF a Docker reference without a digest (skopeo's syntax).
    loc.kind = Kind::kDockerArchive;
    if (text.empty()) return invalid("missing file after `docker-archive:`");
    if (text.back() == ':') return invalid("empty reference after `:`");
    size_t colon = text.find(':');
    if (colon != absl::string_view::npos && colon > 0) {
      absl::StatusOr<Reference> ref = Reference::Parse(text.substr(colon + 1));
      if (ref.ok() && ref->digest.empty()) {
        loc.path = std::string(text.substr(0, colon));
        loc.tag = std::string(text.substr(colon + 1));
        return loc;
      }
    }
    loc.path = std::string(text);
    return loc;
  }
  if (absl::ConsumePrefix(&text, "local:")) {
    // local:NAME[:TAG]; NAME is a repository path (lowercase components separated by `/`).
    loc.kind = Kind::kLocalStore;
    absl::string_view name = text;
    loc.tag = "latest";
    if (size_t colon = text.rfind(':'); colon != absl::string_view::npos) {
      name = text.substr(0, colon);
      absl::string_view tag = text.substr(colon + 1);
      std::string problem = TagProblem(tag);
      if (!problem.empty()) return invalid(problem);
      loc.tag = std::string(tag);
    }
    if (name.empty()) return invalid("missing name after `local:`");
    if (HasUpper(name)) return invalid(absl::StrCat("name `", name, "` must be lowercase"));
    std::string problem = RepositoryProblem(name);
    if (!problem.empty()) return invalid(problem);
    loc.name = std::string(name);
    return loc;
  }
  absl::ConsumePrefix(&text, "docker://");
  loc.kind = Kind::kRegistry;
  absl::StatusOr<Reference> ref = Reference::Parse(text);
  if (!ref.ok()) return ref.status();
  loc.registry_ref = *std::move(ref);
  return loc;
}

std::string ImageLocation::ToString() const {
  switch (kind) {
    case Kind::kOciLayout:
      return tag.empty() ? absl::StrCat("oci:", path) : absl::StrCat("oci:", path, ":", tag);
    case Kind::kDockerArchive:
      return tag.empty() ? absl::StrCat("docker-archive:", path)
                         : absl::StrCat("docker-archive:", path, ":", tag);
    case Kind::kLocalStore:
      return absl::StrCat("local:", name, ":", tag.empty() ? "latest" : tag);
    case Kind::kRegistry:
      break;
  }
  return registry_ref.ToString();
}

}  // namespace oci
