// Push: upload a file or a folder, sending only the bytes the server lacks.
//
// A file becomes one blob. A folder becomes a tree: every regular file
// (recursively) is hashed, a canonical manifest is built
// (docs/tree-format.md), FindMissingBlobs says what to send, small blobs go
// in batches and large ones are streamed (resumably), then the manifest is
// uploaded and registered with CreateTree. The printed digest names the
// whole folder.
//
// Errors: INVALID_ARGUMENT for paths that cannot be represented (symbolic
// links, special files, names that are not valid tree paths), NOT_FOUND for
// a missing PATH, and whatever the server returns.
#pragma once

#include <cstdint>
#include <filesystem>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::client {

struct PushResult {
  Digest digest;  // the blob, or the tree manifest for a folder
  bool is_tree = false;
  int64_t files = 0;
  int64_t total_bytes = 0;     // sum of file sizes
  int64_t uploaded_blobs = 0;  // blobs the server lacked
  int64_t uploaded_bytes = 0;
};

struct PushOptions {
  bool show_progress = false;
  // Files up to this size travel in BatchUpdateBlobs; larger ones stream.
  int64_t batch_threshold = int64_t{1} << 20;
};

absl::StatusOr<PushResult> Push(CasClient& client, const std::filesystem::path& path, const PushOptions& options);

// Hashes a file (streaming, 1 MiB reads).
absl::StatusOr<Digest> HashFile(const std::filesystem::path& path);

// Lists a folder as tree entries with digests (hashing every file).
absl::StatusOr<std::vector<TreeEntry>> ScanFolder(const std::filesystem::path& root);

}  // namespace fairtrace::client
