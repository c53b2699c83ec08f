#include "oci/layout/image_source.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "oci/layout/docker_archive.h"

namespace oci {
namespace {

absl::StatusOr<std::unique_ptr<Layout>> OpenExisting(const std::string& dir) {
  LayoutOptions options;
  options.create = false;
  return Layout::Open(dir, options);
}

}  // namespace

absl::StatusOr<OpenedImage> OpenImageForRead(const ImageLocation& location) {
  OpenedImage out;
  switch (location.kind) {
    case ImageLocation::Kind::kOciLayout: {
      ASSIGN_OR_RETURN(out.layout, OpenExisting(location.path));
      if (!location.tag.empty()) {
        out.tag_or_digest = location.tag;
        return out;
      }
      ASSIGN_OR_RETURN(Index index, out.layout->ReadIndex());
      if (index.manifests.size() == 1) {
        out.tag_or_digest = index.manifests[0].digest.str();
        return out;
      }
      ASSIGN_OR_RETURN(auto tags, out.layout->ListTags());
      std::vector<std::string> names;
      for (const auto& [tag, d] : tags) names.push_back(tag);
      return absl::InvalidArgumentError(absl::StrCat(
          "`", location.path, "` holds ", index.manifests.size(),
          " images; name one as oci:DIR:TAG (tags: ", names.empty() ? "none" : absl::StrJoin(names, ", "),
          ")"));
    }
    case ImageLocation::Kind::kLocalStore: {
      absl::StatusOr<std::unique_ptr<Layout>> layout = OpenExisting(LocalStoreDir());
      if (!layout.ok()) {
        return absl::NotFoundError(absl::StrCat("no image `local:", location.name, ":", location.tag,
                                                "`: the local store `", LocalStoreDir(),
                                                "` is empty"));
      }
      out.layout = *std::move(layout);
      out.tag_or_digest = LocalStoreTag(location.name, location.tag);
      return out;
    }
    case ImageLocation::Kind::kDockerArchive: {
      ASSIGN_OR_RETURN(base::ScopedTempDir scratch, base::ScopedTempDir::Create("docker-archive-"));
      ASSIGN_OR_RETURN(out.layout, Layout::Open(scratch.path() + "/layout"));
      ASSIGN_OR_RETURN(LoadedImage loaded, ReadDockerArchive(location.path, location.tag, *out.layout));
      out.tag_or_digest = loaded.manifest.digest.str();
      out.scratch.emplace(std::move(scratch));
      return out;
    }
    case ImageLocation::Kind::kRegistry:
      break;
  }
  const Reference& ref = location.registry_ref;
  absl::StatusOr<std::unique_ptr<Layout>> store = OpenExisting(LocalStoreDir());
  if (store.ok()) {
    std::string key = ref.digest.empty() ? ref.Familiar() : ref.digest.str();
    if (ref.digest.empty() ? (*store)->Resolve(key).ok() : (*store)->HasBlob(ref.digest)) {
      out.layout = *std::move(store);
      out.tag_or_digest = key;
      return out;
    }
  }
  return absl::UnimplementedError(absl::StrCat(
      "`", ref.ToString(), "` is not in the local store (", LocalStoreDir(),
      "), and reading images from a registry is not available here yet; use oci:DIR[:TAG], "
      "local:NAME[:TAG] or docker-archive:FILE"));
}

absl::StatusOr<ImageDestination> OpenImageForWrite(const ImageLocation& location) {
  ImageDestination out;
  switch (location.kind) {
    case ImageLocation::Kind::kOciLayout: {
      ASSIGN_OR_RETURN(out.layout, Layout::Open(location.path));
      out.tag = location.tag.empty() ? "latest" : location.tag;
      return out;
    }
    case ImageLocation::Kind::kLocalStore: {
      ASSIGN_OR_RETURN(out.layout, Layout::Open(LocalStoreDir()));
      out.tag = LocalStoreTag(location.name, location.tag);
      return out;
    }
    case ImageLocation::Kind::kDockerArchive:
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot write to `", location.ToString(), "`: use oci:DIR[:TAG] or local:NAME[:TAG]"));
    case ImageLocation::Kind::kRegistry:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "`", location.registry_ref.ToString(),
      "` is a registry reference, and pushing is not available here; write to the local store with "
      "local:NAME[:TAG] or to a folder with oci:DIR[:TAG]"));
}

}  // namespace oci
