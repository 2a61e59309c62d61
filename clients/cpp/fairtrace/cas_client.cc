#include "clients/cpp/fairtrace/cas_client.h"

#include "clients/cpp/fairtrace/audit_client.h"

#include <fstream>
#include <sstream>

#include "common/wire/rpc_status.h"

#include "common/audit/audit_proto.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_record.h"
#include "common/content/sha256.h"
#include "common/fs/fs_util.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/status.pb.h"

namespace fairtrace::client {
namespace {

constexpr size_t kFindMissingChunk = 10'000;
constexpr size_t kStreamChunk = 1 << 20;

bool Retryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
      return true;
    case absl::StatusCode::kInvalidArgument:  // offset mismatch: ask where to resume
      return absl::StrContains(s.message(), "committed size");
    default:
      return false;
  }
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  google::rpc::Status rpc;
  if (s.error_details().empty() || !rpc.ParseFromString(s.error_details())) rpc.Clear();
  rpc.set_code(s.error_code());
  rpc.set_message(s.error_message());
  return wire::FromRpcStatus(rpc);
}

std::string NewUploadId() { return fs::RandomName(); }

std::string UploadIdFor(const std::string& user, const Digest& digest) {
  return Sha256Hex(absl::StrCat("fairtrace-upload/1\n", user, "\n", digest.ToString())).substr(0, 32);
}

absl::Status CasClient::AbortUpload(const Digest& digest) {
  v1::AbortUploadRequest req;
  req.set_resource_name(UploadResourceName(UploadIdFor(options_.user, digest), digest));
  v1::AbortUploadResponse resp;
  auto ctx = Context(options_.rpc_timeout);
  return FromGrpcStatus(cas_->AbortUpload(ctx.get(), req, &resp));
}

namespace {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  if (in) s << in.rdbuf();
  return s.str();
}

}  // namespace

std::shared_ptr<grpc::Channel> NewChannel(const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  if (options.ca_file.empty()) {
    return grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrEmpty(options.ca_file);
  if (!options.cert_file.empty()) {
    ssl.pem_cert_chain = ReadFileOrEmpty(options.cert_file);
    ssl.pem_private_key = ReadFileOrEmpty(options.key_file);
  }
  if (ssl.pem_root_certs.empty() || (!options.cert_file.empty() && ssl.pem_cert_chain.empty())) {
    // Never fall back to plaintext: a channel to nowhere whose calls fail.
    return grpc::CreateCustomChannel("unix:/nonexistent/fairtrace-unreadable-tls-files",
                                     grpc::InsecureChannelCredentials(), args);
  }
  return grpc::CreateCustomChannel(options.target, grpc::SslCredentials(ssl), args);
}

std::unique_ptr<grpc::ClientContext> NewCallContext(const ClientOptions& options, absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  if (!options.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options.token);
  return ctx;
}

CasClient::CasClient(ClientOptions options) : options_(std::move(options)) {
  channel_ = NewChannel(options_);
  cas_ = v1::CasService::NewStub(channel_);
  admin_ = v1::AdminService::NewStub(channel_);
  audit_ = v1::AuditService::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> CasClient::Context(absl::Duration timeout) const {
  return NewCallContext(options_, timeout);
}

absl::StatusOr<std::vector<Digest>> CasClient::FindMissing(absl::Span<const Digest> digests) {
  std::vector<Digest> missing;
  for (size_t start = 0; start < digests.size(); start += kFindMissingChunk) {
    v1::FindMissingBlobsRequest req;
    for (size_t i = start; i < std::min(digests.size(), start + kFindMissingChunk); ++i) {
      *req.add_blob_digests() = DigestToProto(digests[i]);
    }
    v1::FindMissingBlobsResponse resp;
    auto ctx = Context(options_.rpc_timeout);
    FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->FindMissingBlobs(ctx.get(), req, &resp)));
    for (const auto& d : resp.missing_blob_digests()) missing.push_back({d.sha256(), d.size_bytes()});
  }
  return missing;
}

absl::Status CasClient::UploadBatch(absl::Span<const std::pair<Digest, std::string>> blobs) {
  if (blobs.empty()) return absl::OkStatus();
  v1::BatchUpdateBlobsRequest req;
  for (const auto& [d, data] : blobs) {
    auto* r = req.add_requests();
    *r->mutable_digest() = DigestToProto(d);
    r->set_data(data);
  }
  v1::BatchUpdateBlobsResponse resp;
  auto ctx = Context(options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->BatchUpdateBlobs(ctx.get(), req, &resp)));
  for (const auto& r : resp.responses()) FT_RETURN_IF_ERROR(wire::FromRpcStatus(r.status()));
  return absl::OkStatus();
}

absl::StatusOr<v1::QueryWriteStatusResponse> CasClient::QueryWriteStatus(const std::string& upload_id,
                                                                         const Digest& digest) {
  v1::QueryWriteStatusRequest req;
  req.set_resource_name(UploadResourceName(upload_id, digest));
  v1::QueryWriteStatusResponse resp;
  auto ctx = Context(options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->QueryWriteStatus(ctx.get(), req, &resp)));
  return resp;
}

absl::Status CasClient::UploadStream(const std::string& upload_id, const Digest& digest, int64_t from_offset,
                                     const std::function<absl::StatusOr<std::string>(int64_t, size_t)>& read,
                                     const ProgressFn& progress) {
  // Generous deadline: the timeout plus one second per 16 MiB.
  auto ctx = Context(options_.rpc_timeout + absl::Seconds(digest.size_bytes >> 24));
  v1::WriteResponse resp;
  auto writer = cas_->Write(ctx.get(), &resp);
  v1::WriteRequest msg;
  msg.set_resource_name(UploadResourceName(upload_id, digest));
  int64_t offset = from_offset;
  size_t chunk = std::min<size_t>(kStreamChunk, options_.max_message_bytes / 2);
  absl::Status local;
  while (true) {
    size_t n = static_cast<size_t>(std::min<int64_t>(chunk, digest.size_bytes - offset));
    auto data = read(offset, n);
    if (!data.ok()) {
      local = data.status();
      ctx->TryCancel();
      break;
    }
    if (data->size() != n) {
      local = absl::FailedPreconditionError("the file changed while it was being uploaded");
      ctx->TryCancel();
      break;
    }
    msg.set_write_offset(offset);
    msg.set_data(*std::move(data));
    offset += static_cast<int64_t>(n);
    msg.set_finish_write(offset == digest.size_bytes);
    bool last = msg.finish_write();
    if (!writer->Write(msg)) break;  // the server ended the stream; Finish says why
    if (progress) progress(static_cast<int64_t>(n));
    msg.clear_resource_name();
    if (last) break;
  }
  writer->WritesDone();
  absl::Status s = FromGrpcStatus(writer->Finish());
  if (!local.ok()) return local;
  FT_RETURN_IF_ERROR(s);
  if (resp.committed_size() != digest.size_bytes) {
    return absl::InternalError(
        absl::StrCat("server committed ", resp.committed_size(), " of ", digest.size_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CasClient::UploadFile(const std::filesystem::path& path, const Digest& digest,
                                   const ProgressFn& progress) {
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(path, O_RDONLY));
  auto read = [&](int64_t offset, size_t n) -> absl::StatusOr<std::string> {
    std::string buf(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd.get(), buf.data() + got, n - got, offset + static_cast<int64_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return fs::ErrnoStatus("cannot read", path);
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    buf.resize(got);
    return buf;
  };
  const std::string id = UploadIdFor(options_.user, digest);
  int64_t offset = 0;
  // What an earlier run (or a concurrent push of the same file) left.
  if (auto st = QueryWriteStatus(id, digest); st.ok()) {
    if (progress) progress(st->complete() ? digest.size_bytes : st->committed_size());
    if (st->complete()) return absl::OkStatus();
    offset = st->committed_size();
  }
  absl::Time last_progress = absl::Now();
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    absl::Status s = UploadStream(id, digest, offset, read, progress);
    if (s.ok() || !Retryable(s)) return s;
    if (absl::Now() - last_progress > options_.upload_stall_timeout) {
      return WithMessage(
          s, absl::StrCat(s.message(), " (no progress for ", absl::FormatDuration(options_.upload_stall_timeout),
                          "; run the push again to continue from ", offset, " bytes)"));
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(2));
    auto st = QueryWriteStatus(id, digest);
    if (!st.ok()) continue;  // server still away: retry from the same offset
    if (st->complete()) {
      if (progress) progress(digest.size_bytes - offset);
      return absl::OkStatus();
    }
    if (st->committed_size() > offset) {
      last_progress = absl::Now();
      backoff = absl::Milliseconds(200);
    }
    if (progress) progress(st->committed_size() - offset);
    offset = st->committed_size();
  }
}

absl::Status CasClient::Download(const Digest& digest, int fd, const ProgressFn& progress) {
  v1::ReadRequest req;
  req.set_resource_name(BlobResourceName(digest));
  auto ctx = Context(options_.rpc_timeout + absl::Seconds(digest.size_bytes >> 24));
  auto reader = cas_->Read(ctx.get(), req);
  v1::ReadResponse msg;
  Sha256 h;
  int64_t got = 0;
  absl::Status local;
  while (reader->Read(&msg)) {
    got += static_cast<int64_t>(msg.data().size());
    if (got > digest.size_bytes) {
      local = absl::DataLossError("server sent more bytes than the digest's size");
      ctx->TryCancel();
      break;
    }
    h.Update(msg.data());
    if (absl::Status w = fs::WriteAll(fd, msg.data(), "download"); !w.ok()) {
      local = w;
      ctx->TryCancel();
      break;
    }
    if (progress) progress(static_cast<int64_t>(msg.data().size()));
  }
  absl::Status s = FromGrpcStatus(reader->Finish());
  if (!local.ok()) return local;
  FT_RETURN_IF_ERROR(s);
  if (got != digest.size_bytes) {
    return absl::DataLossError(absl::StrCat("received ", got, " bytes, expected ", digest.size_bytes));
  }
  if (std::string actual = h.FinishHex(); actual != digest.sha256) {
    return absl::DataLossError(absl::StrCat("received bytes hash to ", actual, ", expected ", digest.sha256));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CasClient::BatchRead(absl::Span<const Digest> digests) {
  v1::BatchReadBlobsRequest req;
  for (const Digest& d : digests) *req.add_digests() = DigestToProto(d);
  v1::BatchReadBlobsResponse resp;
  auto ctx = Context(options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->BatchReadBlobs(ctx.get(), req, &resp)));
  std::vector<std::string> out;
  for (int i = 0; i < resp.responses_size(); ++i) {
    auto* r = resp.mutable_responses(i);
    FT_RETURN_IF_ERROR(wire::FromRpcStatus(r->status()));
    if (DigestOf(r->data()) != digests[i]) {
      return absl::DataLossError(absl::StrCat("blob ", digests[i].ToString(), " arrived corrupted"));
    }
    out.push_back(std::move(*r->mutable_data()));
  }
  return out;
}

absl::StatusOr<v1::Tree> CasClient::CreateTree(const Digest& manifest) {
  v1::CreateTreeRequest req;
  *req.mutable_digest() = DigestToProto(manifest);
  v1::Tree resp;
  auto ctx = Context(options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->CreateTree(ctx.get(), req, &resp)));
  return resp;
}

absl::StatusOr<std::vector<TreeEntry>> CasClient::GetTreeEntries(const Digest& tree) {
  std::vector<TreeEntry> out;
  v1::GetTreeRequest req;
  *req.mutable_digest() = DigestToProto(tree);
  req.set_page_size(10'000);
  do {
    v1::Tree resp;
    auto ctx = Context(options_.rpc_timeout);
    FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->GetTree(ctx.get(), req, &resp)));
    for (const auto& e : resp.entries()) {
      out.push_back({e.path(), Digest{e.digest().sha256(), e.digest().size_bytes()}, e.executable()});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  // The manifest is canonical: re-encoding must give the tree's own digest.
  FT_ASSIGN_OR_RETURN(std::string manifest, EncodeTree(out));
  if (DigestOf(manifest) != tree) {
    return absl::DataLossError("the tree entries the server sent do not match the tree digest");
  }
  return out;
}

absl::StatusOr<v1::Blob> CasClient::GetBlob(const Digest& digest) {
  v1::GetBlobRequest req;
  *req.mutable_digest() = DigestToProto(digest);
  v1::Blob resp;
  auto ctx = Context(options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(cas_->GetBlob(ctx.get(), req, &resp)));
  return resp;
}

absl::StatusOr<v1::FsckResponse> CasClient::Fsck() {
  v1::FsckResponse resp;
  auto ctx = Context(absl::Hours(24));  // re-hashes everything
  FT_RETURN_IF_ERROR(FromGrpcStatus(admin_->Fsck(ctx.get(), v1::FsckRequest(), &resp)));
  return resp;
}

absl::StatusOr<int64_t> CasClient::VerifyAuditChain() {
  // Chain and Merkle root, without a pinned key or kept state.
  FT_ASSIGN_OR_RETURN(AuditVerifyResult r, AuditClient(options_).Verify({}));
  return r.records;
}

}  // namespace fairtrace::client
