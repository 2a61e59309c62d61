#include "registry/api/cas_service.h"

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "google/protobuf/util/time_util.h"
#include "registry/api/grpc_status.h"
#include "registry/api/rpc_guard.h"

namespace fairtrace::api {
namespace {

constexpr char kService[] = "/fairtrace.v1.CasService/";

google::protobuf::Timestamp MicrosToTimestamp(int64_t micros) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
}

void FillTree(const TreeRow& row, v1::Tree* out) {
  *out->mutable_digest() = DigestToProto(row.digest);
  out->set_entry_count(row.entry_count);
  out->set_total_size_bytes(row.total_size_bytes);
  *out->mutable_create_time() = MicrosToTimestamp(row.create_time_micros);
}

}  // namespace

grpc::Status CasServiceImpl::FindMissingBlobs(grpc::ServerContext* ctx, const v1::FindMissingBlobsRequest* req,
                                              v1::FindMissingBlobsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/FindMissingBlobs", req, false, [&]() -> grpc::Status {
    std::vector<Digest> digests;
    digests.reserve(req->blob_digests_size());
    for (const auto& p : req->blob_digests()) digests.push_back(Digest{p.sha256(), p.size_bytes()});
    auto missing = cas_->FindMissing(digests);
    if (!missing.ok()) return ToGrpcStatus(missing.status());
    for (const Digest& d : *missing) *resp->add_missing_blob_digests() = DigestToProto(d);
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::BatchUpdateBlobs(grpc::ServerContext* ctx, const v1::BatchUpdateBlobsRequest* req,
                                              v1::BatchUpdateBlobsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/BatchUpdateBlobs", req, true, [&]() -> grpc::Status {
    std::vector<std::pair<Digest, absl::string_view>> items;
    items.reserve(req->requests_size());
    for (const auto& r : req->requests()) {
      items.emplace_back(Digest{r.digest().sha256(), r.digest().size_bytes()}, r.data());
    }
    auto results = cas_->BatchUpdate(
        MakeCallContext(*ctx, absl::StrCat(kService, "BatchUpdateBlobs"), RequestSha256(*req)), items);
    if (!results.ok()) return ToGrpcStatus(results.status());
    for (int i = 0; i < req->requests_size(); ++i) {
      auto* r = resp->add_responses();
      *r->mutable_digest() = req->requests(i).digest();
      *r->mutable_status() = ToRpcStatus((*results)[i]);
    }
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::BatchReadBlobs(grpc::ServerContext* ctx, const v1::BatchReadBlobsRequest* req,
                                            v1::BatchReadBlobsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/BatchReadBlobs", req, false, [&]() -> grpc::Status {
    std::vector<Digest> digests;
    for (const auto& p : req->digests()) digests.push_back(Digest{p.sha256(), p.size_bytes()});
    auto results = cas_->BatchRead(digests);
    for (size_t i = 0; i < results.size(); ++i) {
      auto* r = resp->add_responses();
      *r->mutable_digest() = req->digests(static_cast<int>(i));
      if (results[i].ok()) {
        r->set_data(*std::move(results[i]));
        r->mutable_status()->set_code(0);
      } else {
        *r->mutable_status() = ToRpcStatus(results[i].status());
      }
    }
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::Write(grpc::ServerContext* ctx, grpc::ServerReader<v1::WriteRequest>* reader,
                                   v1::WriteResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/Write", nullptr, true, [&]() -> grpc::Status {
    v1::WriteRequest msg;
    if (!guard_->Read(ctx, "/fairtrace.v1.CasService/Write", reader, &msg)) {
      return ToGrpcStatus(InvalidField("resource_name", "the Write stream carried no message"));
    }
    if (msg.resource_name().empty()) {
      return ToGrpcStatus(InvalidField("resource_name", "the first WriteRequest must name the upload"));
    }
    const std::string resource = msg.resource_name();
    auto start = cas_->BeginWrite(MakeCallContext(*ctx, absl::StrCat(kService, "Write"), Sha256Hex(resource)), resource,
                                  msg.write_offset());
    if (!start.ok()) return ToGrpcStatus(start.status());
    if (!start->session) {  // already stored
      resp->set_committed_size(start->complete_size);
      return grpc::Status::OK;
    }
    WriteSession& session = *start->session;
    while (true) {
      if (!msg.resource_name().empty() && msg.resource_name() != resource) {
        return ToGrpcStatus(InvalidField("resource_name", "must not change within one Write stream"));
      }
      if (absl::Status s = session.Append(msg.write_offset(), msg.data()); !s.ok()) {
        return ToGrpcStatus(s);
      }
      if (msg.finish_write()) {
        auto size = session.Finish();
        if (!size.ok()) return ToGrpcStatus(size.status());
        resp->set_committed_size(*size);
        return grpc::Status::OK;
      }
      if (!guard_->Read(ctx, "/fairtrace.v1.CasService/Write", reader, &msg)) break;
    }
    // The client half-closed or vanished without finish_write: the session's
    // destructor keeps the committed bytes for a resume.
    resp->set_committed_size(session.committed());
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled");
    return ToGrpcStatus(ErrorBuilder(absl::StatusCode::kInvalidArgument,
                                     absl::StrCat("the Write stream ended without finish_write at ",
                                                  session.committed(), " bytes; resume with a new Write"))
                            .Field("finish_write", "the last message must set finish_write")
                            .Reason("WRITE_NOT_FINISHED")
                            .Meta("committed_size", absl::StrCat(session.committed())));
  });
}

grpc::Status CasServiceImpl::Read(grpc::ServerContext* ctx, const v1::ReadRequest* req,
                                  grpc::ServerWriter<v1::ReadResponse>* writer) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/Read", req, false, [&]() -> grpc::Status {
    v1::ReadResponse msg;
    bool alive = true;
    absl::Status s = cas_->Read(req->resource_name(), req->read_offset(), req->read_limit(), read_chunk_,
                                [&](absl::string_view chunk) {
                                  msg.set_data(std::string(chunk));
                                  alive = guard_->Write(ctx, "/fairtrace.v1.CasService/Read", writer, msg);
                                  return alive;
                                });
    if (!alive) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    return ToGrpcStatus(s);
  });
}

grpc::Status CasServiceImpl::QueryWriteStatus(grpc::ServerContext* ctx, const v1::QueryWriteStatusRequest* req,
                                              v1::QueryWriteStatusResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/QueryWriteStatus", req, false, [&]() -> grpc::Status {
    auto st = cas_->QueryWrite(req->resource_name());
    if (!st.ok()) return ToGrpcStatus(st.status());
    resp->set_committed_size(st->committed_size);
    resp->set_complete(st->complete);
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::AbortUpload(grpc::ServerContext* ctx, const v1::AbortUploadRequest* req,
                                         v1::AbortUploadResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/AbortUpload", req, true, [&]() -> grpc::Status {
    return ToGrpcStatus(cas_->AbortUpload(
        MakeCallContext(*ctx, absl::StrCat(kService, "AbortUpload"), RequestSha256(*req)), req->resource_name()));
  });
}

grpc::Status CasServiceImpl::CreateTree(grpc::ServerContext* ctx, const v1::CreateTreeRequest* req, v1::Tree* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/CreateTree", req, true, [&]() -> grpc::Status {
    auto row = cas_->CreateTree(MakeCallContext(*ctx, absl::StrCat(kService, "CreateTree"), RequestSha256(*req)),
                                Digest{req->digest().sha256(), req->digest().size_bytes()});
    if (!row.ok()) return ToGrpcStatus(row.status());
    FillTree(*row, resp);
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::GetTree(grpc::ServerContext* ctx, const v1::GetTreeRequest* req, v1::Tree* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/GetTree", req, false, [&]() -> grpc::Status {
    auto page =
        cas_->GetTree(Digest{req->digest().sha256(), req->digest().size_bytes()}, req->page_size(), req->page_token());
    if (!page.ok()) return ToGrpcStatus(page.status());
    FillTree(page->tree, resp);
    for (const TreeEntry& e : page->entries) {
      auto* out = resp->add_entries();
      out->set_path(e.path);
      *out->mutable_digest() = DigestToProto(e.digest);
      out->set_executable(e.executable);
    }
    resp->set_next_page_token(page->next_page_token);
    return grpc::Status::OK;
  });
}

grpc::Status CasServiceImpl::GetBlob(grpc::ServerContext* ctx, const v1::GetBlobRequest* req, v1::Blob* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.CasService/GetBlob", req, false, [&]() -> grpc::Status {
    auto row = cas_->GetBlob(Digest{req->digest().sha256(), req->digest().size_bytes()});
    if (!row.ok()) return ToGrpcStatus(row.status());
    *resp->mutable_digest() = DigestToProto(row->digest);
    *resp->mutable_create_time() = MicrosToTimestamp(row->create_time_micros);
    resp->set_is_tree(row->is_tree);
    return grpc::Status::OK;
  });
}

}  // namespace fairtrace::api
