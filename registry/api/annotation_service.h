// gRPC adapter for fairtrace.v1.AnnotationService: every call guarded
// (limits, deadline, request log) and turned into the registry's call; the
// rules live in registry/annotations/annotation_registry.h. Thread-safe;
// borrows the registry and the guard, which must outlive it.
#pragma once

#include "fairtrace/v1/annotations.grpc.pb.h"
#include "registry/annotations/annotation_registry.h"
#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class AnnotationServiceImpl final : public v1::AnnotationService::Service {
 public:
  AnnotationServiceImpl(AnnotationRegistry* registry, const RpcGuard* guard) : registry_(registry), guard_(guard) {}

  grpc::Status CreateAnnotationSet(grpc::ServerContext* ctx, const v1::CreateAnnotationSetRequest* req,
                                   v1::AnnotationSet* resp) override;
  grpc::Status GetAnnotationSet(grpc::ServerContext* ctx, const v1::GetAnnotationSetRequest* req,
                                v1::AnnotationSet* resp) override;
  grpc::Status ListAnnotationSets(grpc::ServerContext* ctx, const v1::ListAnnotationSetsRequest* req,
                                  v1::ListAnnotationSetsResponse* resp) override;
  grpc::Status ListAnnotations(grpc::ServerContext* ctx, const v1::ListAnnotationsRequest* req,
                               v1::ListAnnotationsResponse* resp) override;
  grpc::Status ComputeAgreement(grpc::ServerContext* ctx, const v1::ComputeAgreementRequest* req,
                                v1::AgreementReport* resp) override;
  grpc::Status GetAgreementReport(grpc::ServerContext* ctx, const v1::GetAgreementReportRequest* req,
                                  v1::AgreementReport* resp) override;

 private:
  AnnotationRegistry* registry_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
