// MLflow's artifact proxy (docs/mlflow-door.md, "Artifacts"):
//   PUT    /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts/{path}  upload
//   GET    /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts/{path}  download
//   DELETE /api/2.0/mlflow-artifacts/artifacts/{E}/{R}/artifacts[/{path}] delete
//   GET    /api/2.0/mlflow-artifacts/artifacts?path={E}/{R}/artifacts[/…] list
// over RunArtifacts: bytes stream into the CAS as they arrive and are
// named by their digest, shown to MLflow users as the download's ETag and
// in each listed file's "fairtrace_sha256".
#include <httplib.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::StatusOr<std::string> LocationText(const json& p, bool in_path) {
  return TextParam(p, in_path ? "artifact_path" : "path", true);
}

// The run a location names, for authorization.
auto RunOfLocation(Store* store, bool in_path) {
  return [store, in_path](const json& p) -> absl::StatusOr<std::vector<ProjectTarget>> {
    FT_ASSIGN_OR_RETURN(std::string text, LocationText(p, in_path));
    FT_ASSIGN_OR_RETURN(Location loc, ParseLocation(text));
    return ActOnTarget(store, "runs", loc.run_id, "path");
  };
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

std::string ETag(const Digest& d) { return absl::StrCat("\"sha256:", d.sha256, "\""); }

}  // namespace

std::vector<Endpoint> ArtifactEndpoints(const DoorDependencies& deps, size_t max_artifact_bytes) {
  RunArtifacts* artifacts = deps.artifacts;
  RunRegistry* runs = deps.runs;
  const std::string prefix = absl::StrCat(kBase, "/");
  std::vector<Endpoint> out;

  Endpoint upload{"PUT", prefix, Access::kWriteRuns, ProjectRule::kFields, RunOfLocation(deps.store, true), nullptr};
  upload.prefix = true;
  upload.stream = [artifacts, runs, max_artifact_bytes](DoorCall& c, const httplib::Request&, httplib::Response& res,
                                                        const httplib::ContentReader* body) -> absl::Status {
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
  download.stream = [artifacts, runs](DoorCall& c, const httplib::Request&, httplib::Response& res,
                                      const httplib::ContentReader*) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, true));
    FT_ASSIGN_OR_RETURN(Digest d, artifacts->Find(loc.run_id, loc.path));
    res.status = 200;
    res.set_header("ETag", ETag(d));
    if (d.size_bytes == 0) {
      res.set_content("", "application/octet-stream");
      return absl::OkStatus();
    }
    ContentStore* cas = artifacts->cas();
    res.set_content_provider(static_cast<size_t>(d.size_bytes), "application/octet-stream",
                             [cas, d](size_t offset, size_t length, httplib::DataSink& sink) {
                               const size_t n = std::min(length, kDownloadPiece);
                               absl::Status s = cas->ReadBlobStream(
                                   d, static_cast<int64_t>(offset), static_cast<int64_t>(n), kDownloadPiece,
                                   [&](absl::string_view piece) { return sink.write(piece.data(), piece.size()); });
                               return s.ok();
                             });
    return absl::OkStatus();
  };
  out.push_back(std::move(download));

  Endpoint remove{"DELETE", prefix, Access::kWriteRuns, ProjectRule::kFields, RunOfLocation(deps.store, true), nullptr};
  remove.prefix = true;
  remove.handle = [artifacts, runs](DoorCall& c) -> absl::StatusOr<json> {
    FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, true));
    FT_RETURN_IF_ERROR(artifacts->Delete(c.ctx, loc.run_id, loc.path));
    return json::object();
  };
  out.push_back(std::move(remove));

  out.push_back({"GET", kBase, Access::kRead, ProjectRule::kFields, RunOfLocation(deps.store, false),
                 [artifacts, runs](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(Location loc, Resolve(runs, c.params, false));
                   FT_ASSIGN_OR_RETURN(std::vector<RunArtifacts::Entry> entries, artifacts->List(loc.run_id, loc.path));
                   json files = json::array();
                   for (const RunArtifacts::Entry& e : entries) {
                     json f = {{"path", e.name}, {"is_dir", e.is_dir}};
                     if (!e.is_dir) {
                       f["file_size"] = e.digest.size_bytes;
                       f["fairtrace_sha256"] = e.digest.sha256;
                     }
                     files.push_back(std::move(f));
                   }
                   json out = json::object();
                   if (!files.empty()) out["files"] = std::move(files);
                   return out;
                 }});
  return out;
}

}  // namespace fairtrace::mlflow
