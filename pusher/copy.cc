#include "pusher/copy.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "oci/layout/docker_archive.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "pusher/errors.h"

namespace pusher {
namespace {

std::string RegistryRefId(const oci::Reference& ref) {
  return ref.digest.empty() ? ref.tag : ref.digest.str();
}

absl::StatusOr<std::unique_ptr<oci::Layout>> OpenLayout(const oci::ImageLocation& loc,
                                                        bool create) {
  oci::LayoutOptions lo;
  lo.create = create;
  std::string dir = loc.kind == oci::ImageLocation::Kind::kLocalStore ? oci::LocalStoreDir()
                                                                        : loc.path;
  return oci::Layout::Open(dir, lo);
}

std::string LayoutTag(const oci::ImageLocation& loc) {
  if (loc.kind == oci::ImageLocation::Kind::kLocalStore) {
    return oci::LocalStoreTag(loc.name, loc.tag.empty() ? "latest" : loc.tag);
  }
  return loc.tag;
}

std::string SourceTag(const oci::ImageLocation& loc) {
  switch (loc.kind) {
    case oci::ImageLocation::Kind::kRegistry:
      return loc.registry_ref.tag;
    default:
      return loc.tag;
  }
}

// A docker-archive destination: the image (one platform) is copied into a scratch layout, removed
// on return, and the archive is written from there.
absl::StatusOr<CopyResult> CopyToDockerArchive(Session& session, const oci::ImageLocation& source,
                                               const oci::ImageLocation& destination,
                                               TransferOptions options,
                                               const oci::DockerArchiveOptions& archive) {
  ASSIGN_OR_RETURN(base::ScopedTempDir scratch, base::ScopedTempDir::Create("docker-archive-out-"));
  oci::ImageLocation staging;
  staging.kind = oci::ImageLocation::Kind::kOciLayout;
  staging.path = scratch.path() + "/layout";
  staging.tag = "archive";
  options.all_platforms = false;
  ASSIGN_OR_RETURN(CopyResult result, CopyImage(session, source, staging, options));
  ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> layout, OpenLayout(staging, /*create=*/false));
  oci::DockerArchiveImage image;
  image.manifest = result.transfer.root;
  if (!destination.tag.empty()) image.repo_tags.push_back(destination.tag);
  RETURN_IF_ERROR_CTX(oci::WriteDockerArchive(*layout, {image}, destination.path, archive),
                      "writing `", destination.ToString(), "`");
  result.destination = destination.ToString();
  return result;
}

}  // namespace

absl::StatusOr<CopyResult> CopyImage(Session& session, const oci::ImageLocation& source,
                                     const oci::ImageLocation& destination,
                                     TransferOptions options,
                                     const oci::DockerArchiveOptions& archive) {
  using Kind = oci::ImageLocation::Kind;
  if (destination.kind == Kind::kDockerArchive) {
    return CopyToDockerArchive(session, source, destination, std::move(options), archive);
  }
  CopyResult result;

  // The sink.
  std::unique_ptr<oci::Layout> dest_layout;
  std::unique_ptr<ImageSink> sink;
  if (destination.kind == Kind::kRegistry) {
    const oci::Reference& ref = destination.registry_ref;
    sink = RegistrySink(session.ForHost(ref.registry), ref.repository);
    options.tag = ref.tag;
    result.dest_repository = ref.repository;
    result.dest_tag = ref.tag;
    result.destination = absl::StrCat(ref.registry, "/", ref.repository,
                                      ref.tag.empty() ? "" : absl::StrCat(":", ref.tag));
  } else {
    ASSIGN_OR_RETURN(dest_layout, OpenLayout(destination, /*create=*/true));
    sink = LayoutSink(dest_layout.get());
    options.tag = LayoutTag(destination);
    if (options.tag.empty()) options.tag = SourceTag(source);
    if (options.tag.empty()) options.tag = "latest";
    result.destination = absl::StrCat(
        destination.kind == Kind::kLocalStore ? "local:" : "oci:",
        destination.kind == Kind::kLocalStore ? destination.name : destination.path, " (",
        options.tag, ")");
  }

  // A `docker save` archive: loaded (layers verified against the config's diff_ids) into a
  // scratch layout removed on return, then read from there by digest. The config bytes are kept,
  // so the image ID is Docker's; layers keep the archive's media types.
  if (source.kind == Kind::kDockerArchive) {
    absl::StatusOr<oci::OpenedImage> opened = oci::OpenImageForRead(source);
    if (!opened.ok()) {
      return base::Annotate(opened.status(), absl::StrCat("reading `", source.ToString(), "`"));
    }
    std::unique_ptr<ImageSource> src = LayoutSource(opened->layout.get(), opened->tag_or_digest);
    result.served_by = source.ToString();
    ASSIGN_OR_RETURN(result.transfer, Transfer(*src, *sink, options));
    return result;
  }

  // Layout sources.
  if (source.kind != Kind::kRegistry) {
    ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> layout, OpenLayout(source, /*create=*/false));
    std::string tag = LayoutTag(source);
    if (tag.empty()) tag = "latest";
    std::unique_ptr<ImageSource> src = LayoutSource(layout.get(), tag);
    result.served_by = src->Describe();
    ASSIGN_OR_RETURN(result.transfer, Transfer(*src, *sink, options));
    return result;
  }

  // Registry sources: mirrors first, then the registry itself.
  const oci::Reference& ref = source.registry_ref;
  RegistryMirrors mirrors = session.options().mirrors.For(ref.registry);
  struct Endpoint {
    Registry* registry;
    std::string label;
  };
  std::vector<Endpoint> endpoints;
  for (const MirrorEndpoint& m : mirrors.mirrors) {
    endpoints.push_back({session.ForMirror(m), absl::StrCat(m.scheme, "://", m.host, " (mirror)")});
  }
  if (!mirrors.no_fallback || mirrors.mirrors.empty()) {
    Registry* upstream = session.ForHost(ref.registry);
    endpoints.push_back({upstream, ref.registry});
  }
  absl::Status last;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const Endpoint& e = endpoints[i];
    std::unique_ptr<ImageSource> src = RegistrySource(e.registry, ref.repository, RegistryRefId(ref));
    absl::StatusOr<TransferResult> t = Transfer(*src, *sink, options);
    if (t.ok()) {
      result.transfer = *t;
      result.served_by = e.label;
      if (i + 1 == endpoints.size() && !mirrors.mirrors.empty()) {
        result.served_by = absl::StrCat(ref.registry, " (upstream, after mirrors failed)");
      }
      return result;
    }
    last = base::Annotate(t.status(), absl::StrCat("from ", e.label));
    const bool fall_through = IsRetryable(t.status()) ||
                              t.status().code() == absl::StatusCode::kNotFound ||
                              t.status().code() == absl::StatusCode::kDeadlineExceeded;
    if (i + 1 < endpoints.size() && fall_through) {
      if (options.progress != nullptr) {
        options.progress->Message(absl::StrCat("mirror ", e.label, " failed (",
                                               t.status().message(), "); trying the next endpoint"));
      }
      continue;
    }
    break;
  }
  if (mirrors.no_fallback && !mirrors.mirrors.empty()) {
    return base::Annotate(last, absl::StrCat("pulling `", ref.ToString(),
                                             "` (no-fallback is set, the upstream was not tried)"));
  }
  return base::Annotate(last, absl::StrCat("pulling `", ref.ToString(), "`"));
}

}  // namespace pusher
