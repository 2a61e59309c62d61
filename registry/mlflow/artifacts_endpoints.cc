// MLflow's artifact proxy (docs/mlflow-door.md, "Artifacts"):
//   PUT    /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts/{path}  upload
//   GET    /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts/{path}  download
//   DELETE /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts[/{path}] delete
//   GET    /api/2.0/mlflow-artifacts/artifacts?path={E}/{R}/artifacts[/…] list
// and, read-only, a model version's tree at models/{id}/versions/{n}[/…]
// (what model-versions/get-download-uri answers),
// over RunArtifacts: bytes stream into the CAS as they arrive and are
// named by their digest, shown to MLflow users as the download's ETag and
// in each listed file's "fairtrace_sha256".
#include <httplib.h>

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/content/tree.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/mlflow/mlflow_params.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;

constexpr char kBase[] = "/api/2.0/mlflow-artifacts/artifacts";
constexpr size_t kDownloadPiece = size_t{1} << 20;

// "{E}/{R}/artifacts[/{path}]", as MLflow's artifact URIs name a run's folder.
struct Location {
  std::string experiment_id;
  std::string run_id;
  std::string path;  // "" the folder itself
};

absl::StatusOr<Location> ParseLocation(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 3));
  auto bad = [&] {
    return InvalidField("path", "artifacts are under {experiment_id}/{run_id}/artifacts/ (the run's artifact_uri)");
  };
  int64_t exp = 0;
  if (parts.size() < 3 || parts[2] != "artifacts" || !absl::SimpleAtoi(parts[0], &exp) || exp < 0 ||
      std::to_string(exp) != parts[0] || parts[1].size() != 32) {
    return bad();
  }
  Location out{parts[0], parts[1], parts.size() == 4 ? parts[3] : ""};
  if (parts.size() == 4 && out.path.empty()) return bad();
  return out;
}

std::string ETag(const Digest& d) { return absl::StrCat("\"sha256:", d.sha256, "\""); }

absl::StatusOr<std::string> LocationText(const json& p, bool in_path) {
  return TextParam(p, in_path ? "artifact_path" : "path", true);
}

// "models/{id}/versions/{n}[/{path}]": a model version's tree, read-only
// (what model-versions/get-download-uri answers).
struct VersionLocation {
  std::string model_id;
  std::string version;  // canonical number
  std::string path;
};

std::optional<VersionLocation> ParseVersionLocation(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 4));
  int64_t n = 0;
  if (parts.size() < 4 || parts[0] != "models" || parts[2] != "versions" || !absl::SimpleAtoi(parts[3], &n) || n < 1 ||
      std::to_string(n) != parts[3] || parts[1].empty()) {
    return std::nullopt;
  }
  return VersionLocation{parts[1], parts[3], parts.size() == 5 ? parts[4] : ""};
}

// The run (or model) a location names, for authorization.
auto RunOfLocation(Store* store, bool in_path) {
  return [store, in_path](const json& p) -> absl::StatusOr<std::vector<ProjectTarget>> {
    FT_ASSIGN_OR_RETURN(std::string text, LocationText(p, in_path));
    if (std::optional<VersionLocation> v = ParseVersionLocation(text)) {
      return ActOnTarget(store, "models", v->model_id, "path");
    }
    FT_ASSIGN_OR_RETURN(Location loc, ParseLocation(text));
    return ActOnTarget(store, "runs", loc.run_id, "path");
  };
}

// A model version's files, as artifact rows sorted by path.
absl::StatusOr<std::vector<ArtifactRow>> VersionFiles(ModelRegistry* models, ContentStore* cas,
                                                      const VersionLocation& v) {
  FT_RETURN_IF_ERROR(RunArtifacts::CheckPath(v.path, true));
  v1::GetModelVersionRequest get;
  get.set_name(absl::StrCat("models/", v.model_id, "/versions/", v.version));
  FT_ASSIGN_OR_RETURN(v1::ModelVersion version, models->GetModelVersion(get));
  FT_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries,
                      cas->TreeEntries(Digest{version.tree_digest().sha256(), version.tree_digest().size_bytes()}));
  std::vector<ArtifactRow> out;
  out.reserve(entries.size());
  for (TreeEntry& e : entries) out.push_back(ArtifactRow{std::move(e.path), e.digest});
  return out;  // a tree's entries are sorted by path
}

absl::Status ReadOnly() {
  return ErrorBuilder(absl::StatusCode::kFailedPrecondition, "a model version's files are final")
      .Reason("VERSION_READ_ONLY")
      .Build();
}

// Streams blob `d` as the response.
void SendBlob(ContentStore* cas, const Digest& d, httplib::Response& res) {
  res.status = 200;
  res.set_header("ETag", ETag(d));
  if (d.size_bytes == 0) {
    res.set_content("", "application/octet-stream");
    return;
  }
  res.set_content_provider(static_cast<size_t>(d.size_bytes), "application/octet-stream",
                           [cas, d](size_t offset, size_t length, httplib::DataSink& sink) {
                             const size_t n = std::min(length, kDownloadPiece);
                             absl::Status s = cas->ReadBlobStream(
                                 d, static_cast<int64_t>(offset), static_cast<int64_t>(n), kDownloadPiece,
                                 [&](absl::string_view piece) { return sink.write(piece.data(), piece.size()); });
                             return s.ok();
                           });
}

// The location, with its run checked to be in the experiment it names
// (another experiment's folder of the run does not exist).
absl::StatusOr<Location> Resolve(RunRegistry* runs, const json& p, bool in_path) {
  FT_ASSIGN_OR_RETURN(std::string text, LocationText(p, in_path));
  FT_ASSIGN_OR_RETURN(Location loc, ParseLocation(text));
  FT_RETURN_IF_ERROR(RunArtifacts::CheckPath(loc.path, true));
  v1::GetRunRequest get;
  get.set_name(absl::StrCat("runs/", loc.run_id));
  FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
  const std::string expected = loc.experiment_id == "0" && run.experiment().rfind("experiments/", 0) != 0
                                   ? run.experiment()
                                   : absl::StrCat("experiments/", loc.experiment_id);
  if (run.experiment() != expected) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no artifact folder ", text))
        .Reason("ARTIFACT_NOT_FOUND")
        .Build();
  }
  return loc;
}

}  // namespace

json ArtifactFilesJson(const std::vector<RunArtifacts::Entry>& entries, const std::string& dir) {
  json files = json::array();
  for (const RunArtifacts::Entry& e : entries) {
    json f = {{"path", dir.empty() ? e.name : absl::StrCat(dir, "/", e.name)}, {"is_dir", e.is_dir}};
    if (!e.is_dir) {
      f["file_size"] = e.digest.size_bytes;
      f["fairtrace_sha256"] = e.digest.sha256;
    }
    files.push_back(std::move(f));
  }
  json out = json::object();
  if (!files.empty()) out["files"] = std::move(files);
  return out;
}

std::vector<Endpoint> ArtifactEndpoints(const DoorDependencies& deps, size_t max_artifact_bytes) {
  RunArtifacts* artifacts = deps.artifacts;
  RunRegistry* runs = deps.runs;
  ModelRegistry* models = deps.models;
  const std::string prefix = absl::StrCat(kBase, "/");
  std::vector<Endpoint> out;

  Endpoint upload{"PUT", prefix, Access::kWriteRuns, ProjectRule::kFields, RunOfLocation(deps.store, true), nullptr};
  upload.prefix = true;
  upload.stream = [artifacts, runs, max_artifact_bytes](DoorCall& c, const httplib::Request&, httplib::Response& res,
                                                        const httplib::ContentReader* body) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::string text, LocationText(c.params, true));
    if (ParseVersionLocation(text)) return ReadOnly();
    FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, true));
    FT_RETURN_IF_ERROR(RunArtifacts::CheckPath(loc.path, false));
    FT_RETURN_IF_ERROR(artifacts->CheckWritable(loc.run_id));  // before any byte is read
    FT_ASSIGN_OR_RETURN(std::unique_ptr<StreamedBlob> blob, artifacts->BeginUpload(c.ctx));
    absl::Status written = absl::OkStatus();
    const bool read = (*body)([&](const char* data, size_t n) {
      if (static_cast<size_t>(blob->size()) + n > max_artifact_bytes) {  // a chunked body has no Content-Length
        written = ErrorBuilder(absl::StatusCode::kResourceExhausted,
                               absl::StrCat("the artifact is larger than ", max_artifact_bytes, " bytes"))
                      .Reason("ARTIFACT_TOO_LARGE");
        return false;
      }
      written = blob->Append(absl::string_view(data, n));
      return written.ok();
    });
    FT_RETURN_IF_ERROR(written);
    if (!read) return absl::UnavailableError("the upload ended before its Content-Length");
    FT_ASSIGN_OR_RETURN(Digest d, blob->Finish());
    FT_RETURN_IF_ERROR(artifacts->Record(c.ctx, loc.run_id, loc.path, d));
    res.status = 200;
    res.set_header("ETag", ETag(d));
    res.set_content("{}", "application/json");
    return absl::OkStatus();
  };
  out.push_back(std::move(upload));

  Endpoint download{"GET", prefix, Access::kRead, ProjectRule::kFields, RunOfLocation(deps.store, true), nullptr};
  download.prefix = true;
  download.stream = [artifacts, runs, models](DoorCall& c, const httplib::Request&, httplib::Response& res,
                                              const httplib::ContentReader*) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::string text, LocationText(c.params, true));
    if (std::optional<VersionLocation> v = ParseVersionLocation(text); v && models != nullptr) {
      FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> files, VersionFiles(models, artifacts->cas(), *v));
      for (const ArtifactRow& f : files) {
        if (f.path == v->path) {
          SendBlob(artifacts->cas(), *f.digest, res);
          return absl::OkStatus();
        }
      }
      return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no file ", text))
          .Reason("ARTIFACT_NOT_FOUND")
          .Build();
    }
    FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, true));
    FT_ASSIGN_OR_RETURN(Digest d, artifacts->Find(loc.run_id, loc.path));
    SendBlob(artifacts->cas(), d, res);
    return absl::OkStatus();
  };
  out.push_back(std::move(download));

  Endpoint remove{"DELETE", prefix, Access::kWriteRuns, ProjectRule::kFields, RunOfLocation(deps.store, true), nullptr};
  remove.prefix = true;
  remove.handle = [artifacts, runs](DoorCall& c) -> absl::StatusOr<json> {
    FT_ASSIGN_OR_RETURN(std::string text, LocationText(c.params, true));
    if (ParseVersionLocation(text)) return ReadOnly();
    FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, true));
    FT_RETURN_IF_ERROR(artifacts->Delete(c.ctx, loc.run_id, loc.path));
    return json::object();
  };
  out.push_back(std::move(remove));

  out.push_back({"GET", kBase, Access::kRead, ProjectRule::kFields, RunOfLocation(deps.store, false),
                 [artifacts, runs, models](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string text, LocationText(c.params, false));
                   if (std::optional<VersionLocation> v = ParseVersionLocation(text); v && models != nullptr) {
                     FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> files, VersionFiles(models, artifacts->cas(), *v));
                     return ArtifactFilesJson(RunArtifacts::Level(files, v->path));
                   }
                   FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, false));
                   FT_ASSIGN_OR_RETURN(std::vector<RunArtifacts::Entry> entries, artifacts->List(loc.run_id, loc.path));
                   return ArtifactFilesJson(entries);
                 }});
  return out;
}

}  // namespace fairtrace::mlflow
