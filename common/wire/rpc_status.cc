#include "common/wire/rpc_status.h"

#include <string>

#include "google/rpc/error_details.pb.h"

namespace fairtrace::wire {

void AppendRpcDetails(const ErrorDetails& d, google::rpc::Status* out) {
  if (!d.reason.empty() || !d.metadata.empty()) {
    google::rpc::ErrorInfo info;
    info.set_domain(std::string(kErrorDomain));
    info.set_reason(d.reason);
    for (const auto& [k, v] : d.metadata) (*info.mutable_metadata())[k] = v;
    out->add_details()->PackFrom(info);
  }
  if (!d.fields.empty()) {
    google::rpc::BadRequest br;
    for (const auto& f : d.fields) {
      auto* v = br.add_field_violations();
      v->set_field(f.field);
      v->set_description(f.description);
    }
    out->add_details()->PackFrom(br);
  }
  if (!d.preconditions.empty()) {
    google::rpc::PreconditionFailure pf;
    for (const auto& p : d.preconditions) {
      auto* v = pf.add_violations();
      v->set_type(p.type);
      v->set_subject(p.subject);
      v->set_description(p.description);
    }
    out->add_details()->PackFrom(pf);
  }
  if (!d.resource_name.empty()) {
    google::rpc::ResourceInfo ri;
    ri.set_resource_type(d.resource_type);
    ri.set_resource_name(d.resource_name);
    out->add_details()->PackFrom(ri);
  }
}

ErrorDetails ErrorDetailsFromRpc(const google::rpc::Status& rpc) {
  ErrorDetails d;
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest br;
    google::rpc::PreconditionFailure pf;
    google::rpc::ResourceInfo ri;
    if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
      d.reason = info.reason();
      for (const auto& [k, v] : info.metadata()) d.metadata[k] = v;
    } else if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&br)) {
      for (const auto& v : br.field_violations()) d.fields.push_back({v.field(), v.description()});
    } else if (any.Is<google::rpc::PreconditionFailure>() && any.UnpackTo(&pf)) {
      for (const auto& v : pf.violations()) d.preconditions.push_back({v.type(), v.subject(), v.description()});
    } else if (any.Is<google::rpc::ResourceInfo>() && any.UnpackTo(&ri)) {
      d.resource_type = ri.resource_type();
      d.resource_name = ri.resource_name();
    }
  }
  return d;
}

absl::Status FromRpcStatus(const google::rpc::Status& rpc) {
  if (rpc.code() == 0) return absl::OkStatus();
  return WithDetails(absl::Status(static_cast<absl::StatusCode>(rpc.code()), rpc.message()), ErrorDetailsFromRpc(rpc));
}

}  // namespace fairtrace::wire
