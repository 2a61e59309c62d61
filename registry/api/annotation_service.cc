#include "registry/api/annotation_service.h"

#include "registry/api/grpc_status.h"

namespace fairtrace::api {
namespace {

constexpr char kService[] = "fairtrace.v1.AnnotationService";

std::string Method(const char* name) { return absl::StrCat("/", kService, "/", name); }

}  // namespace

grpc::Status AnnotationServiceImpl::CreateAnnotationSet(grpc::ServerContext* ctx,
                                                        const v1::CreateAnnotationSetRequest* req,
                                                        v1::AnnotationSet* resp) {
  return guard_->Run(ctx, Method("CreateAnnotationSet"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateAnnotationSet(ContextOf(ctx, kService, "CreateAnnotationSet", *req), *req), resp);
  });
}

grpc::Status AnnotationServiceImpl::GetAnnotationSet(grpc::ServerContext* ctx, const v1::GetAnnotationSetRequest* req,
                                                     v1::AnnotationSet* resp) {
  return guard_->Run(ctx, Method("GetAnnotationSet"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetAnnotationSet(*req), resp); });
}

grpc::Status AnnotationServiceImpl::ListAnnotationSets(grpc::ServerContext* ctx,
                                                       const v1::ListAnnotationSetsRequest* req,
                                                       v1::ListAnnotationSetsResponse* resp) {
  return guard_->Run(ctx, Method("ListAnnotationSets"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListAnnotationSets(*req), resp); });
}

grpc::Status AnnotationServiceImpl::ListAnnotations(grpc::ServerContext* ctx, const v1::ListAnnotationsRequest* req,
                                                    v1::ListAnnotationsResponse* resp) {
  return guard_->Run(ctx, Method("ListAnnotations"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListAnnotations(*req), resp); });
}

grpc::Status AnnotationServiceImpl::ComputeAgreement(grpc::ServerContext* ctx, const v1::ComputeAgreementRequest* req,
                                                     v1::AgreementReport* resp) {
  return guard_->Run(ctx, Method("ComputeAgreement"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->ComputeAgreement(ContextOf(ctx, kService, "ComputeAgreement", *req), *req), resp);
  });
}

grpc::Status AnnotationServiceImpl::GetAgreementReport(grpc::ServerContext* ctx,
                                                       const v1::GetAgreementReportRequest* req,
                                                       v1::AgreementReport* resp) {
  return guard_->Run(ctx, Method("GetAgreementReport"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetAgreementReport(*req), resp); });
}

}  // namespace fairtrace::api
