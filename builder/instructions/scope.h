// Variable scopes while loading: the ENV and ARG values an instruction sees (ENV shadows ARG),
// and the build args a command depends on. Internal to builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_SCOPE_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_SCOPE_H_

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/arena.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/lex.h"

namespace builder::instructions {

// A map from names to values, in insertion order. Scopes hold a handful of names, searched
// linearly; past kIndexFrom entries a hash index takes over, so that a Dockerfile with thousands
// of ARGs stays linear in its size.
template <typename V>
class SmallMap {
 public:
  using Entry = std::pair<absl::string_view, V>;
  const Entry* FindEntry(absl::string_view name) const {
    if (!index_.empty()) {
      auto it = index_.find(name);
      return it == index_.end() ? nullptr : &entries_[it->second];
    }
    for (const Entry& e : entries_) {
      if (e.first == name) return &e;
    }
    return nullptr;
  }
  const V* Find(absl::string_view name) const {
    const Entry* e = FindEntry(name);
    return e == nullptr ? nullptr : &e->second;
  }
  bool Has(absl::string_view name) const { return FindEntry(name) != nullptr; }
  void Set(absl::string_view name, V value) {
    if (const Entry* e = FindEntry(name)) {
      entries_[e - entries_.data()].second = value;
      return;
    }
    entries_.emplace_back(name, value);
    if (entries_.size() == kIndexFrom) {
      for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
    } else if (entries_.size() > kIndexFrom) {
      index_.emplace(name, entries_.size() - 1);
    }
  }
  void Clear() {
    entries_.clear();
    if (!index_.empty()) index_.clear();
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static constexpr size_t kIndexFrom = 16;
  std::vector<Entry> entries_;
  absl::flat_hash_map<absl::string_view, size_t> index_;  // name -> entry, once big
};

// Name/value pairs, as BuildArgs holds them.
using ArgPairs = std::vector<std::pair<absl::string_view, absl::string_view>>;

// Sorts `items` by `name_of(item)`, names being unique. Usually a handful: insertion sort then,
// not std::sort's call.
template <typename T, typename NameOf>
void SortByName(absl::Span<T> items, NameOf name_of) {
  auto before = [&name_of](const T& a, const T& b) { return name_of(a) < name_of(b); };
  if (items.size() > 16) {
    std::sort(items.begin(), items.end(), before);
    return;
  }
  for (size_t i = 1; i < items.size(); ++i) {
    for (size_t j = i; j > 0 && before(items[j], items[j - 1]); --j) {
      std::swap(items[j], items[j - 1]);
    }
  }
}
inline void SortByName(ArgPairs* pairs) {
  SortByName(absl::MakeSpan(*pairs), [](const auto& p) { return p.first; });
}

// ENV entries shadow ARG entries; the getter records which ARGs were read. Names and values are
// views into the Ast's or the Dockerfile's storage.
class Scope : public shell::EnvGetter {
 public:
  using Arg = std::pair<absl::string_view, std::optional<absl::string_view>>;

  const SmallMap<absl::string_view>& env() const { return env_; }
  const SmallMap<std::optional<absl::string_view>>& args() const { return args_; }
  void SetEnv(absl::string_view name, absl::string_view value) {
    env_.Set(name, value);
    visible_valid_ = false;
  }
  void SetArg(absl::string_view name, std::optional<absl::string_view> value) {
    args_.Set(name, value);
    visible_valid_ = false;
  }
  void Clear() {
    env_.Clear();
    args_.Clear();
    visible_valid_ = false;
  }

  // The value `name` expands to: its ENV value, else its ARG value if set; nullopt if neither.
  std::optional<absl::string_view> Value(absl::string_view name) const {
    if (const absl::string_view* e = env_.Find(name)) return *e;
    const std::optional<absl::string_view>* a = args_.Find(name);
    return a != nullptr ? *a : std::nullopt;
  }
  bool Get(absl::string_view name, std::string* value) const override {
    std::optional<absl::string_view> v = Value(name);
    if (!v.has_value()) return false;
    value->assign(v->data(), v->size());
    return true;
  }
  // ARG `name` as a command sees it: null if unset or shadowed by ENV. The entry's name, unlike
  // `name`, is a view that lives as long as the Dockerfile.
  const Arg* VisibleArg(absl::string_view name) const {
    if (env_.Has(name)) return nullptr;
    const Arg* a = args_.FindEntry(name);
    return a != nullptr && a->second.has_value() ? a : nullptr;
  }
  // Every ARG a command sees (set, not shadowed by ENV), sorted by name, in `arena`. Made once
  // per change of the scope: consecutive RUNs share it.
  BuildArgs VisibleArgs(base::Arena* arena) {
    return visible_valid_ ? visible_ : MakeVisibleArgs(arena);
  }

 private:
  // Out of line, so that VisibleArgs (per RUN) stays inline.
  ABSL_ATTRIBUTE_NOINLINE BuildArgs MakeVisibleArgs(base::Arena* arena) {
    ArgPairs& all = visible_scratch_;  // kept: no allocation per change of the scope
    all.clear();
    for (const Arg& a : args_.entries()) {
      if (a.second.has_value() && !env_.Has(a.first)) all.emplace_back(a.first, *a.second);
    }
    SortByName(&all);
    visible_ = arena->CopyArray(BuildArgs(all));
    visible_valid_ = true;
    return visible_;
  }

  SmallMap<absl::string_view> env_;
  SmallMap<std::optional<absl::string_view>> args_;
  BuildArgs visible_;
  bool visible_valid_ = false;
  ArgPairs visible_scratch_;  // MakeVisibleArgs's
};

// The build args one command depends on, collected while it is converted (a name read twice
// keeps its last value), then sorted into the Dockerfile's storage.
class UsedArgs {
 public:
  void Use(absl::string_view name, absl::string_view value) { used_.Set(name, value); }
  // Records the ARG values a lookup of `names` resolved to in `scope`.
  void Note(const Scope& scope, const std::set<std::string>& names) {
    for (const std::string& n : names) Note(scope, n);
  }
  // The same for one name.
  void Note(const Scope& scope, absl::string_view name) {
    if (const auto* a = scope.VisibleArg(name)) Use(a->first, *a->second);
  }
  // The command depends on exactly `all` (sorted, in the arena), which holds whatever it read.
  void SetAll(BuildArgs all) { all_ = all; }
  const std::vector<std::pair<absl::string_view, absl::string_view>>& entries() const {
    return used_.entries();
  }
  BuildArgs Finish(base::Arena* arena) {
    if (all_.has_value()) {
      BuildArgs all = *all_;
      all_.reset();
      used_.Clear();
      return all;
    }
    return used_.entries().empty() ? BuildArgs() : SortUsed(arena);
  }

 private:
  // Out of line, so that Finish (per command) stays inline.
  ABSL_ATTRIBUTE_NOINLINE BuildArgs SortUsed(base::Arena* arena) {
    sorted_.assign(used_.entries().begin(), used_.entries().end());
    SortByName(&sorted_);
    used_.Clear();
    return arena->CopyArray(BuildArgs(sorted_));
  }

  SmallMap<absl::string_view> used_;
  std::optional<BuildArgs> all_;
  ArgPairs sorted_;
};

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_SCOPE_H_
