#include "registry/runs/run_artifacts.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/content/tree.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/core/audited.h"
#include "registry/runs/run_proto.h"

namespace fairtrace {

namespace {

constexpr size_t kMaxPath = 1024;

absl::Status BadPath(const std::string& path, absl::string_view why) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("artifact path '", text::ClipText(path, 100), "' ", why))
      .Reason("INVALID_ARTIFACT_PATH")
      .Field("path", "a relative path of '/'-separated names, without '.', '..' or empty names");
}

absl::Status ArtifactNotFound(const std::string& run_id, const std::string& path) {
  return ErrorBuilder(absl::StatusCode::kNotFound,
                      absl::StrCat("runs/", run_id, " has no artifact '", text::ClipText(path, 100), "'"))
      .Reason("ARTIFACT_NOT_FOUND")
      .Resource("artifact", absl::StrCat("runs/", run_id, "/artifacts/", path));
}

absl::Status Conflict(const std::string& path, absl::string_view why) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("artifact path '", text::ClipText(path, 100), "' ", why))
      .Reason("ARTIFACT_PATH_CONFLICT")
      .Field("path", "a path is a file or a folder, not both");
}

absl::Status NoRun(const std::string& run_id) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no run runs/", run_id))
      .Reason("RUN_NOT_FOUND")
      .Resource("run", absl::StrCat("runs/", run_id));
}

bool InFolder(const std::string& path, const std::string& dir) {
  return dir.empty() || (path.size() > dir.size() && absl::StartsWith(path, dir) && path[dir.size()] == '/');
}

}  // namespace

RunArtifacts::RunArtifacts(Store* store, RunStore* runs, ContentStore* cas, std::function<int64_t()> now_micros,
                           ArtifactLimits limits)
    : store_(store), runs_(runs), cas_(cas), now_(std::move(now_micros)), limits_(limits) {}

absl::Status RunArtifacts::CheckPath(const std::string& path, bool allow_root) {
  if (path.empty()) return allow_root ? absl::OkStatus() : BadPath(path, "is empty");
  if (path.size() > kMaxPath) return BadPath(path, "is longer than 1,024 bytes");
  if (!text::IsValidUtf8(path)) return BadPath(text::ClipText(path, 100), "is not UTF-8");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\') return BadPath(path, "holds a control character or a backslash");
  }
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty()) return BadPath(path, "is absolute or has an empty name");
    if (segment == "." || segment == "..") return BadPath(path, "has a '.' or '..' name");
  }
  return absl::OkStatus();
}

absl::Status RunArtifacts::CheckWritable(const std::string& run_id) {
  FT_RETURN_IF_ERROR(ParseRunName(absl::StrCat("runs/", run_id), "run_id").status());
  FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(run_id));
  if (!run) return NoRun(run_id);
  if (run->status != "RUNNING") {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("runs/", run_id, " is ", run->status, "; an ended run's artifacts are final"))
        .Reason("RUN_NOT_RUNNING")
        .Precondition("RUN_STATUS", absl::StrCat("runs/", run_id), "the run must be RUNNING");
  }
  return absl::OkStatus();
}

absl::Status RunArtifacts::Record(const CallContext& ctx, const std::string& run_id, const std::string& path,
                                  const Digest& d) {
  const std::string run = absl::StrCat("runs/", run_id);
  return Audited(store_, ctx, run,
                 [&]() -> absl::StatusOr<bool> {
                   FT_RETURN_IF_ERROR(CheckPath(path, false));
                   FT_RETURN_IF_ERROR(CheckWritable(run_id));
                   FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> current, runs_->CurrentArtifacts(run_id));
                   bool replaces = false;
                   for (const ArtifactRow& a : current) {
                     if (a.path == path) replaces = true;
                     if (InFolder(a.path, path)) return Conflict(path, "is a folder");
                     if (InFolder(path, a.path))
                       return Conflict(path, absl::StrCat("is inside '", a.path, "', which is a file"));
                   }
                   if (!replaces && static_cast<int>(current.size()) >= limits_.max_artifacts) {
                     return ErrorBuilder(absl::StatusCode::kResourceExhausted,
                                         absl::StrCat(run, " holds ", current.size(), " artifacts, the most a run may"))
                         .Reason("TOO_MANY_ARTIFACTS");
                   }
                   FT_RETURN_IF_ERROR(runs_->RecordArtifacts(run_id, {ArtifactRow{path, d}}, now_(),
                                                             MakeAuditEntry(ctx, run, absl::OkStatus())));
                   return true;
                 })
      .status();
}

absl::Status RunArtifacts::Delete(const CallContext& ctx, const std::string& run_id, const std::string& path) {
  const std::string run = absl::StrCat("runs/", run_id);
  return Audited(store_, ctx, run,
                 [&]() -> absl::StatusOr<bool> {
                   FT_RETURN_IF_ERROR(CheckPath(path, true));
                   FT_RETURN_IF_ERROR(CheckWritable(run_id));
                   FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> current, runs_->CurrentArtifacts(run_id));
                   std::vector<ArtifactRow> gone;
                   for (const ArtifactRow& a : current) {
                     if (a.path == path || InFolder(a.path, path)) gone.push_back(ArtifactRow{a.path, std::nullopt});
                   }
                   if (gone.empty()) return ArtifactNotFound(run_id, path);
                   FT_RETURN_IF_ERROR(
                       runs_->RecordArtifacts(run_id, gone, now_(), MakeAuditEntry(ctx, run, absl::OkStatus())));
                   return true;
                 })
      .status();
}

absl::StatusOr<std::vector<ArtifactRow>> RunArtifacts::Current(const std::string& run_id) {
  FT_RETURN_IF_ERROR(ParseRunName(absl::StrCat("runs/", run_id), "run_id").status());
  FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(run_id));
  if (!run) return NoRun(run_id);
  return runs_->CurrentArtifacts(run_id);
}

namespace {

// The manifest of the files under `dir` (checked), paths relative to it.
absl::StatusOr<std::string> ManifestOfFiles(const std::string& run_id, const std::vector<ArtifactRow>& files,
                                            const std::string& dir) {
  std::vector<TreeEntry> entries;
  for (const ArtifactRow& a : files) {
    if (dir.empty()) {
      entries.push_back(TreeEntry{a.path, *a.digest, false});
    } else if (InFolder(a.path, dir)) {
      entries.push_back(TreeEntry{a.path.substr(dir.size() + 1), *a.digest, false});
    }
  }
  if (entries.empty()) {
    return InvalidField("source",
                        absl::StrCat("runs/", run_id, " has no artifacts under '", text::ClipText(dir, 100), "'"));
  }
  return EncodeTree(std::move(entries));
}

}  // namespace

absl::StatusOr<std::string> RunArtifacts::ManifestOf(const std::string& run_id, const std::string& dir) {
  FT_RETURN_IF_ERROR(CheckPath(dir, true));
  FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> files, Current(run_id));
  return ManifestOfFiles(run_id, files, dir);
}

absl::StatusOr<Digest> RunArtifacts::TreeOf(const CallContext& ctx, const std::string& run_id, const std::string& dir) {
  FT_ASSIGN_OR_RETURN(std::string manifest, ManifestOf(run_id, dir));
  return cas_->PutTree(ctx, std::move(manifest));
}

absl::StatusOr<Digest> RunArtifacts::TreeOfFiles(const CallContext& ctx, const std::string& run_id,
                                                 const std::vector<ArtifactRow>& files, const std::string& dir) {
  FT_ASSIGN_OR_RETURN(std::string manifest, ManifestOfFiles(run_id, files, dir));
  return cas_->PutTree(ctx, std::move(manifest));  // the same folder again writes nothing
}

absl::StatusOr<std::vector<RunArtifacts::Entry>> RunArtifacts::List(const std::string& run_id, const std::string& dir) {
  FT_RETURN_IF_ERROR(CheckPath(dir, true));
  FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> current, Current(run_id));
  return Level(current, dir);
}

std::vector<RunArtifacts::Entry> RunArtifacts::Level(const std::vector<ArtifactRow>& current, const std::string& dir) {
  std::vector<Entry> out;
  const size_t skip = dir.empty() ? 0 : dir.size() + 1;
  for (const ArtifactRow& a : current) {  // sorted by path: a folder's files are together
    if (!InFolder(a.path, dir)) continue;
    std::string rest = a.path.substr(skip);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      out.push_back(Entry{std::move(rest), false, *a.digest});
      continue;
    }
    std::string name = rest.substr(0, slash);
    if (out.empty() || !out.back().is_dir || out.back().name != name) out.push_back(Entry{std::move(name), true, {}});
  }
  return out;
}

absl::StatusOr<Digest> RunArtifacts::Find(const std::string& run_id, const std::string& path) {
  FT_RETURN_IF_ERROR(CheckPath(path, false));
  FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> current, Current(run_id));
  for (const ArtifactRow& a : current) {
    if (a.path == path) return *a.digest;
  }
  return ArtifactNotFound(run_id, path);
}

}  // namespace fairtrace
