#include "registry/api/admin_service.h"

#include "registry/core/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_proto.h"
#include "common/status/errors.h"
#include "google/protobuf/util/time_util.h"
#include "registry/api/grpc_status.h"
#include "registry/api/rpc_guard.h"
#include "registry/content/fsck.h"

namespace fairtrace::api {
namespace {

constexpr int kDefaultAuditPage = 1000;
constexpr int kMaxAuditPage = 10000;

}  // namespace

grpc::Status AdminServiceImpl::Fsck(grpc::ServerContext* ctx, const v1::FsckRequest*, v1::FsckResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.AdminService/Fsck", nullptr, false, [&]() -> grpc::Status {
    auto report = RunFsck(*store_, *blobs_, CurrentCallShouldStop());
    if (!report.ok()) return ToGrpcStatus(report.status());
    resp->set_blobs_checked(report->blobs_checked);
    resp->set_bytes_hashed(report->bytes_hashed);
    resp->set_tree_references_checked(report->tree_references_checked);
    resp->set_audit_records_checked(report->audit_records_checked);
    resp->set_resources_checked(report->resources_checked);
    resp->set_unreferenced_files(report->unreferenced_files);
    resp->set_partial_uploads(report->partial_uploads);
    resp->set_problem_count(report->problem_count);
    for (const FsckProblem& p : report->problems) {
      auto* out = resp->add_problems();
      out->set_kind(p.kind);
      out->set_subject(p.subject);
      out->set_detail(p.detail);
    }
    return grpc::Status::OK;
  });
}

grpc::Status AuditServiceImpl::ListAuditRecords(grpc::ServerContext* ctx, const v1::ListAuditRecordsRequest* req,
                                                v1::ListAuditRecordsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.AuditService/ListAuditRecords", req, false, [&]() -> grpc::Status {
    if (req->page_size() < 0) return ToGrpcStatus(InvalidField("page_size", "must not be negative"));
    int page = req->page_size() == 0 ? kDefaultAuditPage : std::min(req->page_size(), kMaxAuditPage);
    int64_t after = 0;
    auto payload = DecodePageToken(token_key_, "audit", req->page_token());
    if (!payload.ok()) return ToGrpcStatus(payload.status());
    if (!payload->empty() && (!absl::SimpleAtoi(*payload, &after) || after < 0)) {
      return ToGrpcStatus(InvalidField("page_token", "not a token from ListAuditRecords"));
    }
    auto records = store_->ListAudit(after, page);
    if (!records.ok()) return ToGrpcStatus(records.status());
    for (const AuditRecord& r : *records) AuditRecordToProto(r, resp->add_records());
    if (static_cast<int>(records->size()) == page) {
      resp->set_next_page_token(EncodePageToken(token_key_, "audit", absl::StrCat(records->back().sequence)));
    }
    return grpc::Status::OK;
  });
}

namespace {
constexpr char kAuditService[] = "fairtrace.v1.AuditService";
std::string AuditMethod(const char* name) { return absl::StrCat("/", kAuditService, "/", name); }
}  // namespace

grpc::Status AuditServiceImpl::GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                                             v1::SignedCheckpoint* resp) {
  return guard_->Run(ctx, AuditMethod("GetCheckpoint"), req, false,
                     [&]() -> grpc::Status { return Reply(log_->Checkpoint(req->tree_size()), resp); });
}

grpc::Status AuditServiceImpl::GetInclusionProof(grpc::ServerContext* ctx, const v1::GetInclusionProofRequest* req,
                                                 v1::InclusionProof* resp) {
  return guard_->Run(ctx, AuditMethod("GetInclusionProof"), req, false, [&]() -> grpc::Status {
    absl::StatusOr<v1::InclusionProof> proof = log_->Prove(req->sequence(), req->tree_size());
    if (!proof.ok()) return ToGrpcStatus(proof.status());
    // A per-project auditor proves the records of its projects. The record
    // goes out as stored (not through Reply's redaction): its bytes are
    // the leaf the proof is about.
    if (absl::Status seen = CheckRecordInCallerProjects(proof->record().resource()); !seen.ok()) {
      return ToGrpcStatus(seen);
    }
    *resp = *std::move(proof);
    return grpc::Status::OK;
  });
}

grpc::Status AuditServiceImpl::GetConsistencyProof(grpc::ServerContext* ctx, const v1::GetConsistencyProofRequest* req,
                                                   v1::ConsistencyProof* resp) {
  return guard_->Run(ctx, AuditMethod("GetConsistencyProof"), req, false, [&]() -> grpc::Status {
    return Reply(log_->Consistency(req->old_size(), req->new_size()), resp);
  });
}

grpc::Status AuditServiceImpl::AddCheckpointCosignatures(grpc::ServerContext* ctx,
                                                         const v1::AddCheckpointCosignaturesRequest* req,
                                                         v1::SignedCheckpoint* resp) {
  return guard_->Run(ctx, AuditMethod("AddCheckpointCosignatures"), req, false, [&]() -> grpc::Status {
    return Reply(log_->AddCosignatures(ContextOf(ctx, kAuditService, "AddCheckpointCosignatures", *req), req->note()),
                 resp);
  });
}

grpc::Status AuditServiceImpl::ListResourceStates(grpc::ServerContext* ctx, const v1::ListResourceStatesRequest* req,
                                                  grpc::ServerWriter<v1::ResourceState>* writer) {
  return guard_->Run(ctx, AuditMethod("ListResourceStates"), req, false, [&]() -> grpc::Status {
    std::function<bool()> stop = CurrentCallShouldStop();
    absl::Status s = log_->ResourceStates([&](const v1::ResourceState& m) {
      return !(stop && stop()) && guard_->Write(ctx, "/fairtrace.v1.AuditService/ListResourceStates", writer, m);
    });
    return ToGrpcStatus(s);
  });
}

}  // namespace fairtrace::api
