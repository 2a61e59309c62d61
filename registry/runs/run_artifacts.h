// RunArtifacts: a run's artifact folder, as MLflow's artifact proxy fills
// it (docs/mlflow-door.md, "Artifacts"). The bytes are CAS blobs, written
// as they arrive and verified by their own digest; the folder is the
// history of which blob each path holds (RunStore::RecordArtifacts),
// appended to, never rewritten, each change audited on the run and part
// of the run's state document.
//
// Rules: only a RUNNING run's folder changes (FAILED_PRECONDITION,
// RUN_NOT_RUNNING): an ended run's artifacts are evidence, like its params
// and metrics. A path is a file or a folder, never both (INVALID_ARGUMENT,
// ARTIFACT_PATH_CONFLICT). Overwriting a path records the new blob; the
// old one stays in the history.
//
// Errors: INVALID_ARGUMENT naming `path` for a path that is not relative
// UTF-8 of 1–1,024 bytes in '/'-separated segments (no empty, "." or ".."
// segment, no backslash or control character); NOT_FOUND (RUN_NOT_FOUND,
// ARTIFACT_NOT_FOUND); RESOURCE_EXHAUSTED past max_artifacts paths.
// Thread-safe; borrows what it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/store/run_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct ArtifactLimits {
  int max_artifacts = 100000;  // current paths per run
};

class RunArtifacts {
 public:
  RunArtifacts(Store* store, RunStore* runs, ContentStore* cas, std::function<int64_t()> now_micros,
               ArtifactLimits limits = {});

  // `path` as above; `allow_root`: "" names the folder itself.
  static absl::Status CheckPath(const std::string& path, bool allow_root);

  // Before any byte is read: the run (a 32-hex id) exists and is RUNNING.
  absl::Status CheckWritable(const std::string& run_id);
  // Bytes first, digest last; Finish() makes the blob visible.
  absl::StatusOr<std::unique_ptr<StreamedBlob>> BeginUpload(const CallContext& ctx) {
    return cas_->BeginStreamedBlob(ctx);
  }
  // Puts blob `d` (visible in the CAS) at `path`. Audited on "runs/{id}".
  absl::Status Record(const CallContext& ctx, const std::string& run_id, const std::string& path, const Digest& d);
  // Deletes `path`, a file or a folder ("" the whole folder). Audited.
  absl::Status Delete(const CallContext& ctx, const std::string& run_id, const std::string& path);

  struct Entry {
    std::string name;  // relative to the folder listed
    bool is_dir = false;
    Digest digest;  // files only
  };
  // One level of folder `dir` ("" the root). An absent folder is empty.
  absl::StatusOr<std::vector<Entry>> List(const std::string& run_id, const std::string& dir);
  // One level of folder `dir` of `files` (sorted by path): a run's folder,
  // or a model version's tree.
  static std::vector<Entry> Level(const std::vector<ArtifactRow>& files, const std::string& dir);
  // The blob at `path`; NOT_FOUND (ARTIFACT_NOT_FOUND) for none or a folder.
  absl::StatusOr<Digest> Find(const std::string& run_id, const std::string& path);
  // Every current file of the folder, by path.
  absl::StatusOr<std::vector<ArtifactRow>> Current(const std::string& run_id);
  // The files under `dir` ("" the whole folder) as a CAS tree manifest
  // (paths relative to `dir`; the tree's blobs are the artifacts'), not
  // stored; INVALID_ARGUMENT (field `source`) when there are none. A model
  // version is made from one (ModelRegistry::CreateModelVersion registers
  // it with the version).
  absl::StatusOr<std::string> ManifestOf(const std::string& run_id, const std::string& dir);
  // The same, registered as a tree (ContentStore::PutTree): a run gets one
  // as it ends. Returns its digest.
  absl::StatusOr<Digest> TreeOf(const CallContext& ctx, const std::string& run_id, const std::string& dir);
  // TreeOf over `files` already read (Current) and a checked `dir`.
  absl::StatusOr<Digest> TreeOfFiles(const CallContext& ctx, const std::string& run_id,
                                     const std::vector<ArtifactRow>& files, const std::string& dir);

  ContentStore* cas() const { return cas_; }

 private:
  Store* store_;
  RunStore* runs_;
  ContentStore* cas_;
  std::function<int64_t()> now_;
  ArtifactLimits limits_;
};

}  // namespace fairtrace
