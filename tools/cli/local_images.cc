// The local store as `images`, `rmi` and `prune` see it (see local_images.h).
#include "tools/cli/local_images.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "pusher/progress.h"

namespace cli {
namespace {

constexpr int kMaxDepth = 8;

bool IsHexPrefix(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::Status CollectDiffIds(const oci::Layout& store, const oci::Descriptor& d, int depth,
                            std::set<std::string>& out) {
  if (depth > kMaxDepth) {
    return absl::FailedPreconditionError(absl::StrCat("indexes nest too deeply at ", d.digest.str()));
  }
  ASSIGN_OR_RETURN(std::string blob, store.ReadBlob(d.digest));
  std::string media_type = d.media_type;
  if (media_type.empty()) {
    ASSIGN_OR_RETURN(media_type, oci::SniffMediaType(blob));
  }
  if (oci::IsIndex(media_type)) {
    ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(blob));
    for (const oci::Descriptor& child : index.manifests) {
      RETURN_IF_ERROR(CollectDiffIds(store, child, depth + 1, out));
    }
    return absl::OkStatus();
  }
  if (!oci::IsManifest(media_type)) return absl::OkStatus();  // an artifact: no layers to run
  ASSIGN_OR_RETURN(oci::Manifest manifest, oci::Manifest::Parse(blob));
  const std::string& config_type = manifest.config.media_type;
  if (!config_type.empty() && config_type != oci::kOciConfig && config_type != oci::kDockerConfig) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string config_blob, store.ReadBlob(manifest.config.digest));
  ASSIGN_OR_RETURN(oci::ImageConfig config, oci::ImageConfig::Parse(config_blob));
  for (const oci::Digest& diff_id : config.diff_ids) out.insert(std::string(diff_id.hex()));
  return absl::OkStatus();
}

}  // namespace

void SplitStoreTag(const std::string& store_tag, std::string* name, std::string* tag) {
  size_t colon = store_tag.rfind(':');
  size_t slash = store_tag.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    *name = store_tag;
    *tag = "latest";
    return;
  }
  *name = store_tag.substr(0, colon);
  *tag = store_tag.substr(colon + 1);
}

absl::StatusOr<std::vector<LocalImage>> ListLocalImages(const oci::Layout& store) {
  ASSIGN_OR_RETURN(auto tags, store.ListTags());
  std::vector<LocalImage> out;
  for (const auto& [store_tag, descriptor] : tags) {
    LocalImage image;
    SplitStoreTag(store_tag, &image.name, &image.tag);
    image.digest = descriptor.digest;
    absl::StatusOr<oci::ImageRef> ref = oci::ReadImage(store, store_tag);
    if (ref.ok()) {
      image.created = ref->config.created;
      image.size = ref->manifest.config.size;
      for (const oci::Descriptor& layer : ref->manifest.layers) image.size += layer.size;
    } else {
      image.error = std::string(ref.status().message());
    }
    out.push_back(std::move(image));
  }
  std::stable_sort(out.begin(), out.end(), [](const LocalImage& a, const LocalImage& b) {
    return a.name != b.name ? a.name < b.name : a.tag < b.tag;
  });
  return out;
}

absl::StatusOr<std::vector<std::string>> StoreTagsNamedBy(const oci::Layout& store,
                                                          const std::string& text) {
  ASSIGN_OR_RETURN(auto tags, store.ListTags());
  auto has = [&](const std::string& t) {
    return std::any_of(tags.begin(), tags.end(), [&](const auto& e) { return e.first == t; });
  };
  if (has(text)) return std::vector<std::string>{text};
  // A name first (as docker does), then a digest or a prefix of one.
  absl::StatusOr<oci::ImageLocation> loc = oci::ImageLocation::Parse(text);
  if (loc.ok() && loc->kind == oci::ImageLocation::Kind::kLocalStore) {
    std::string t = oci::LocalStoreTag(loc->name, loc->tag);
    if (has(t)) return std::vector<std::string>{t};
  } else if (loc.ok() && loc->kind == oci::ImageLocation::Kind::kRegistry) {
    std::string t = loc->registry_ref.Familiar();
    if (has(t)) return std::vector<std::string>{t};
  }
  absl::string_view hex = text;
  bool digest_form = absl::ConsumePrefix(&hex, "sha256:");
  if (IsHexPrefix(hex) && (digest_form || hex.size() >= 4)) {
    std::vector<std::string> out;
    std::set<std::string> digests;
    for (const auto& [t, d] : tags) {
      if (absl::StartsWith(d.digest.hex(), hex)) {
        out.push_back(t);
        digests.insert(d.digest.str());
      }
    }
    if (digests.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("`", text, "` matches ", digests.size(),
                                                     " images: give more of the digest"));
    }
    if (!out.empty()) return out;
  }
  return absl::NotFoundError(
      absl::StrCat("no such image: `", text, "` in the local store (", store.dir(), ")"));
}

absl::StatusOr<std::set<std::string>> StoreDiffIds(const oci::Layout& store) {
  ASSIGN_OR_RETURN(oci::Index index, store.ReadIndex());
  std::set<std::string> out;
  for (const oci::Descriptor& d : index.manifests) {
    RETURN_IF_ERROR_CTX(CollectDiffIds(store, d, 0, out), "reading the layers of ",
                        d.digest.str(), " in `", store.dir(), "`");
  }
  return out;
}

std::string HumanSize(int64_t bytes) {
  pusher::ScaledBytes s = pusher::ScaleBytes(bytes);
  if (s.unit[0] == 'B') return absl::StrCat(bytes, "B");
  const char* format = s.value < 10 ? "%.2f%s" : (s.value < 100 ? "%.1f%s" : "%.0f%s");
  return absl::StrFormat(format, s.value, s.unit);
}

}  // namespace cli
