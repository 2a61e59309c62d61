// CasClient: the C++ client of fairtrace's content-addressable storage and
// admin services. Every method returns absl::Status carrying the server's
// google.rpc details (ErrorInfo, BadRequest, PreconditionFailure) as
// payloads, so callers see exactly what the server said.
//
// Thread-safe (gRPC stubs are); one client may be shared.
// Transport failures come back as UNAVAILABLE / DEADLINE_EXCEEDED.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/content/digest.h"
#include "common/content/tree.h"
#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/cas.grpc.pb.h"

namespace fairtrace::client {

struct ClientOptions {
  std::string target = "127.0.0.1:50051";
  int64_t max_message_bytes = int64_t{16} << 20;
  // Deadline of unary calls; streams get one per MiB (see cas_client.cc).
  absl::Duration rpc_timeout = absl::Seconds(120);
  // Names this client's resumable uploads (UploadIdFor); the server does
  // not take it as the principal (docs/security.md).
  std::string user;
  // A fairtrace token ("ft1_..."), sent as "authorization: Bearer <token>"
  // on every call: the principal the server authenticates.
  std::string token;
  // A streamed upload keeps resuming after transport failures and server
  // restarts until it has made no progress for this long.
  absl::Duration upload_stall_timeout = absl::Seconds(120);
  // TLS: the CA bundle (PEM file) that signed the server's certificate; with
  // a client certificate and key (PEM files), mutual TLS. Empty: plaintext.
  std::string ca_file, cert_file, key_file;
};

// A channel to options.target whose messages may be max_message_bytes
// either way: what every client of one server shares. TLS when ca_file is
// set; a PEM file that cannot be read gives a channel that fails every call
// with UNAVAILABLE naming the file.
std::shared_ptr<grpc::Channel> NewChannel(const ClientOptions& options);
// A unary call's context: the deadline `timeout` from now, and the user.
std::unique_ptr<grpc::ClientContext> NewCallContext(const ClientOptions& options, absl::Duration timeout);

// The upload id of `digest` pushed by `user`: the same for every run, so a
// second `fairtrace push` of a file continues the upload the first one
// left, and two concurrent pushes of one file meet on one upload (the
// second waits for the first). 32 hex characters.
std::string UploadIdFor(const std::string& user, const Digest& digest);

// Called with the number of bytes just transferred.
using ProgressFn = std::function<void(int64_t)>;

// grpc::Status -> absl::Status carrying the google.rpc details as
// ErrorDetails (common/wire/rpc_status.h).
absl::Status FromGrpcStatus(const grpc::Status& s);

class CasClient {
 public:
  explicit CasClient(ClientOptions options);

  const ClientOptions& options() const { return options_; }
  // Bytes of blob data one BatchUpdateBlobs message may carry.
  int64_t batch_bytes_limit() const { return options_.max_message_bytes - (256 << 10); }

  // Digests the server lacks (asks in chunks of 10,000).
  absl::StatusOr<std::vector<Digest>> FindMissing(absl::Span<const Digest> digests);
  // Uploads small blobs in one BatchUpdateBlobs; the first per-blob failure
  // is returned.
  absl::Status UploadBatch(absl::Span<const std::pair<Digest, std::string>> blobs);
  // Streams a file whose digest is known, under UploadIdFor(user, digest):
  // starts from what the server already holds, resumes from the committed
  // offset after an interruption, waits while another stream writes the
  // same upload, and gives up after options().upload_stall_timeout without
  // progress.
  absl::Status UploadFile(const std::filesystem::path& path, const Digest& digest, const ProgressFn& progress);
  // Streams bytes from a reader callback (used by tests): `read(offset, n)`
  // returns up to n bytes at offset.
  absl::Status UploadStream(const std::string& upload_id, const Digest& digest, int64_t from_offset,
                            const std::function<absl::StatusOr<std::string>(int64_t, size_t)>& read,
                            const ProgressFn& progress);
  // Drops this user's unfinished upload of `digest` (AbortUpload).
  absl::Status AbortUpload(const Digest& digest);
  absl::StatusOr<v1::QueryWriteStatusResponse> QueryWriteStatus(const std::string& upload_id, const Digest& digest);
  // Streams a blob into `fd` (from its current position), verifying size and
  // hash; DATA_LOSS when the bytes do not match.
  absl::Status Download(const Digest& digest, int fd, const ProgressFn& progress);
  absl::StatusOr<std::vector<std::string>> BatchRead(absl::Span<const Digest> digests);

  absl::StatusOr<v1::Tree> CreateTree(const Digest& manifest);
  // Every entry of a registered tree (all pages).
  absl::StatusOr<std::vector<TreeEntry>> GetTreeEntries(const Digest& tree);
  absl::StatusOr<v1::Blob> GetBlob(const Digest& digest);

  absl::StatusOr<v1::FsckResponse> Fsck();
  // Fetches the whole audit log and re-walks its hash chain and Merkle root
  // here, trusting nothing the server computed (AuditClient::Verify without
  // a key). Returns the number of records verified, or DATA_LOSS naming the
  // first broken record.
  absl::StatusOr<int64_t> VerifyAuditChain();

 private:
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CasService::Stub> cas_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

// A fresh random upload id (32 hex characters).
std::string NewUploadId();

}  // namespace fairtrace::client
