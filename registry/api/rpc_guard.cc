#include "registry/api/rpc_guard.h"

#include <malloc.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/api/grpc_status.h"
#include "registry/core/audited.h"
#include "registry/core/resource_project.h"
#include "registry/core/resource_util.h"

namespace fairtrace::api {

namespace {

struct CurrentCall {
  grpc::ServerContext* ctx = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
  const ProjectScope* projects = nullptr;
  Store* store = nullptr;
};
thread_local CurrentCall current_call;

// Restores the previous current call when a guarded call ends.
class CurrentCallScope {
 public:
  CurrentCallScope(grpc::ServerContext* ctx, absl::Time deadline, const ProjectScope* projects, Store* store)
      : saved_(current_call) {
    current_call = {ctx, deadline, projects, store};
  }
  ~CurrentCallScope() { current_call = saved_; }

 private:
  CurrentCall saved_;
};

constexpr absl::string_view kHeavyMethods[] = {
    "/fairtrace.v1.InvestigationService/ValidateInvestigation",
    "/fairtrace.v1.InvestigationService/ImportInvestigation",
    "/fairtrace.v1.InvestigationService/CreateEntity",
    "/fairtrace.v1.InvestigationService/UpdateEntity",
    "/fairtrace.v1.InvestigationService/DeleteEntity",
    "/fairtrace.v1.InvestigationService/ExportInvestigation",
    "/fairtrace.v1.ExperimentService/ValidateInvestigation",  // deprecated alias
    "/fairtrace.v1.ExperimentService/ImportInvestigation",
    "/fairtrace.v1.ExperimentService/CreateEntity",
    "/fairtrace.v1.ExperimentService/UpdateEntity",
    "/fairtrace.v1.ExperimentService/DeleteEntity",
    "/fairtrace.v1.ExperimentService/ExportInvestigation",
    "/fairtrace.v1.DatasetService/CreateDatasetVersion",
    "/fairtrace.v1.AnnotationService/CreateAnnotationSet",
    "/fairtrace.v1.AnnotationService/ComputeAgreement",
    "/fairtrace.v1.SplitService/CreateSplit",
    "/fairtrace.v1.SplitService/CheckLeakage",
    "/fairtrace.v1.DatasetService/DiffDatasetVersions",
    "/fairtrace.v1.DatasetService/ExportDatasetVersion",
    "/fairtrace.v1.CasService/CreateTree",
    "/fairtrace.v1.AdminService/Fsck",
    "/fairtrace.v1.AuditService/ListResourceStates",
    "/fairtrace.v1.RunService/GetLineage",
};

}  // namespace

std::function<bool()> CurrentCallShouldStop() {
  CurrentCall call = current_call;
  if (call.ctx == nullptr) return {};
  return [call] { return call.ctx->IsCancelled() || absl::Now() > call.deadline; };
}

RpcGuard::RpcGuard(Store* audit_store, GuardOptions options, const AccessControl* access)
    : store_(audit_store),
      options_(options),
      access_(access),
      refusals_(options_.refusal_records),
      stalls_(options_.stalled_stream_limit, [limit = options_.stalled_stream_limit](const std::string& method) {
        std::cerr << "fairtrace-server: " << method << ": cancelled a stream stalled for " << limit
                  << " (the client stopped reading or sending)\n";
      }) {}

ProjectScope CurrentCallProjects() {
  return current_call.projects == nullptr ? ProjectScope::All() : *current_call.projects;
}

namespace {

class Redactor {
 public:
  Redactor(const ProjectScope& scope, Store* store) : visibility_(store, scope) {}

  void Redact(google::protobuf::Message* m) {
    using google::protobuf::FieldDescriptor;
    const auto* desc = m->GetDescriptor();
    const auto* refl = m->GetReflection();
    if (const FieldDescriptor* name = desc->FindFieldByName("name");
        name != nullptr && !name->is_repeated() && name->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        Hidden(refl->GetString(*m, name))) {
      m->Clear();
      refl->SetString(m, name, kRedacted);
      return;
    }
    std::vector<const FieldDescriptor*> fields;
    refl->ListFields(*m, &fields);
    for (const FieldDescriptor* f : fields) {
      if (f->is_map()) {
        // Keys stay (rewriting them could merge entries); values are checked.
        const FieldDescriptor* value = f->message_type()->map_value();
        for (int i = 0; i < refl->FieldSize(*m, f); ++i) {
          google::protobuf::Message* entry = refl->MutableRepeatedMessage(m, f, i);
          if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Redact(entry->GetReflection()->MutableMessage(entry, value));
          } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
                     Hidden(entry->GetReflection()->GetString(*entry, value))) {
            entry->GetReflection()->SetString(entry, value, kRedacted);
          }
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (!f->is_repeated()) {
          Redact(refl->MutableMessage(m, f));
          continue;
        }
        for (int i = 0; i < refl->FieldSize(*m, f); ++i) Redact(refl->MutableRepeatedMessage(m, f, i));
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        if (!f->is_repeated()) {
          if (Hidden(refl->GetString(*m, f))) refl->SetString(m, f, kRedacted);
          continue;
        }
        for (int i = 0; i < refl->FieldSize(*m, f); ++i) {
          if (Hidden(refl->GetRepeatedString(*m, f, i))) refl->SetRepeatedString(m, f, i, kRedacted);
        }
      }
    }
  }

 private:
  // A store error hides.
  bool Hidden(const std::string& value) {
    absl::StatusOr<bool> hidden = visibility_.Hidden(value);
    return !hidden.ok() || *hidden;
  }

  ProjectVisibility visibility_;
};

}  // namespace

void RedactHiddenReferences(google::protobuf::Message* reply) {
  const CurrentCall call = current_call;
  if (call.projects == nullptr || call.projects->all || call.store == nullptr) return;
  Redactor(*call.projects, call.store).Redact(reply);
}

absl::Status CheckRecordInCallerProjects(const std::string& resource) {
  const CurrentCall call = current_call;
  if (call.projects == nullptr || call.projects->all) return absl::OkStatus();
  std::optional<ProjectOwner> owner = ProjectOwnerOf(resource);
  std::optional<std::string> project;
  if (owner && call.store != nullptr) {
    FT_ASSIGN_OR_RETURN(project, call.store->ResourceProject(owner->collection, owner->id));
  }
  if (project && call.projects->Allows(*project)) return absl::OkStatus();
  return ErrorBuilder(absl::StatusCode::kPermissionDenied,
                      "this record is not about a resource of your projects; a grant on every project ('*') "
                      "sees every record")
      .Reason("RECORD_OUTSIDE_PROJECTS")
      .Build();
}

bool RpcGuard::IsHeavy(absl::string_view method) {
  for (absl::string_view m : kHeavyMethods) {
    if (m == method) return true;
  }
  return false;
}

bool RpcGuard::Admit(grpc::ServerContext* ctx, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  const absl::Time give_up = std::min(deadline, absl::Now() + options_.admission_wait);
  auto free_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return heavy_running_ < options_.max_heavy_calls; };
  // Wake up now and then to notice a client that went away while waiting.
  while (!free_slot()) {
    if (ctx->IsCancelled() || absl::Now() >= give_up) return false;
    mu_.AwaitWithDeadline(absl::Condition(&free_slot), std::min(give_up, absl::Now() + absl::Milliseconds(200)));
  }
  ++heavy_running_;
  return true;
}

void RpcGuard::Release() const {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --heavy_running_ == 0;
  }
  // A burst of heavy calls leaves freed memory in the allocator's arenas
  // (the trim threshold in main.cc is high for the streaming figures):
  // hand it back once the last one ends, so resident size returns to idle.
  if (last) malloc_trim(0);
}

std::string RefusalCaller(absl::string_view peer, const absl::StatusOr<std::string>& principal) {
  if (principal.ok()) return *principal;
  size_t colon = peer.rfind(':');
  // "ipv4:1.2.3.4:5678" and "ipv6:[::1]:5678" end with a port; "unix:/path"
  // has none worth removing.
  if (absl::StartsWith(peer, "ipv") && colon != absl::string_view::npos && colon > 5) peer = peer.substr(0, colon);
  return std::string(peer);
}

std::string RequestResource(const google::protobuf::Message& request) {
  const auto* desc = request.GetDescriptor();
  const auto* refl = request.GetReflection();
  for (const char* name : {"name", "parent", "run", "resource_name", "investigation_id", "model_id"}) {
    const auto* field = desc->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      continue;
    }
    std::string value = refl->GetString(request, field);
    if (!value.empty()) return value;
  }
  return "";
}

absl::Status CollectFieldStrings(const google::protobuf::Message& message, absl::string_view path,
                                 std::vector<std::string>* out) {
  using google::protobuf::FieldDescriptor;
  size_t dot = path.find('.');
  absl::string_view head = path.substr(0, dot);
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(std::string(head));
  const auto* refl = message.GetReflection();
  if (field == nullptr) {
    return absl::InternalError(absl::StrCat(message.GetDescriptor()->full_name(), " has no field ", head));
  }
  if (dot == absl::string_view::npos) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return absl::InternalError(absl::StrCat(field->full_name(), " is not a string"));
    }
    if (field->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(message, field); ++i)
        out->push_back(refl->GetRepeatedString(message, field, i));
    } else {
      out->push_back(refl->GetString(message, field));
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::InternalError(absl::StrCat(field->full_name(), " is not a message"));
  }
  absl::string_view rest = path.substr(dot + 1);
  if (field->is_repeated()) {
    for (int i = 0; i < refl->FieldSize(message, field); ++i) {
      FT_RETURN_IF_ERROR(CollectFieldStrings(refl->GetRepeatedMessage(message, field, i), rest, out));
    }
    return absl::OkStatus();
  }
  // An unset message holds only empty strings: check the path on its type.
  return CollectFieldStrings(refl->GetMessage(message, field), rest, out);
}

absl::StatusOr<std::vector<ProjectTarget>> RpcGuard::TargetsOf(absl::string_view method,
                                                               const google::protobuf::Message* request) const {
  std::vector<ProjectTarget> out;
  const MethodRule* rule = RuleOfMethod(method);
  if (rule == nullptr || rule->rule != ProjectRule::kFields || request == nullptr) return out;
  std::vector<std::string> values;
  for (const std::string& path : rule->in) {
    values.clear();
    FT_RETURN_IF_ERROR(CollectFieldStrings(*request, path, &values));
    for (const std::string& v : values) {
      FT_ASSIGN_OR_RETURN(std::string project, ProjectOfCreate(v, path));
      out.push_back({ProjectTarget::Use::kCreateIn, absl::StrCat("projects/", project), project});
    }
  }
  // Each top-level resource is looked up once, whatever the number of
  // names under it (a run's inputs are often one dataset's versions).
  absl::flat_hash_map<std::string, size_t> seen;  // owner -> index in out
  for (const auto& [paths, use] :
       {std::pair{&rule->on, ProjectTarget::Use::kActOn}, std::pair{&rule->uses, ProjectTarget::Use::kRead}}) {
    for (const std::string& path : *paths) {
      values.clear();
      FT_RETURN_IF_ERROR(CollectFieldStrings(*request, path, &values));
      for (const std::string& v : values) {
        std::optional<ProjectOwner> owner = ProjectOwnerOf(v);
        // Empty, malformed or of no project: the call itself answers.
        if (!owner || !CouldExist(*owner)) continue;
        auto [it, fresh] = seen.try_emplace(owner->name(), out.size());
        if (!fresh) {
          // Acting on a resource also used: the stronger use wins.
          if (use == ProjectTarget::Use::kActOn) out[it->second].use = use;
          continue;
        }
        FT_ASSIGN_OR_RETURN(std::optional<std::string> project, store_->ResourceProject(owner->collection, owner->id));
        out.push_back({use, owner->name(), std::move(project)});
      }
    }
  }
  return out;
}

void RpcGuard::OnException(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                           bool mutating, const char* what) const noexcept {
  try {
    std::cerr << "fairtrace-server: " << method << ": internal error: " << text::ClipText(what, 300) << "\n";
    if (mutating && store_ != nullptr) {
      CallContext call = MakeCallContext(*ctx, std::string(method), request ? RequestSha256(*request) : "");
      AppendStandaloneAudit(store_, call, request ? RequestResource(*request) : "", absl::InternalError("exception"));
    }
  } catch (...) {
    // Logging or auditing failed too; the INTERNAL answer still goes out.
  }
}

absl::StatusOr<RpcGuard::Admitted> RpcGuard::Admission(grpc::ServerContext* ctx, absl::string_view method,
                                                       const google::protobuf::Message* request) const {
  CallerCredentials credentials = CredentialsOf(*ctx);
  if (access_ == nullptr) {
    return Admitted{
        credentials.x509_subject.empty() ? std::string(kAnonymous) : CertificatePrincipal(credentials.x509_subject),
        ProjectScope::All()};
  }
  absl::StatusOr<std::string> principal = access_->Authenticate(credentials);
  // Projects are looked up only while access control is on; a first grant
  // made during the call is noticed and the call checked again.
  auto authorize = [&](bool with_targets) -> absl::StatusOr<ProjectScope> {
    if (!principal.ok()) return principal.status();
    std::vector<ProjectTarget> targets;
    if (with_targets) {
      absl::StatusOr<std::vector<ProjectTarget>> resolved = TargetsOf(method, request);
      // Not a refusal: an invalid project name or a store error.
      if (!resolved.ok()) return resolved.status();
      targets = *std::move(resolved);
    }
    return access_->AuthorizeCall(*principal, method, targets);
  };
  bool enforced = access_->enforced();
  absl::StatusOr<ProjectScope> allowed = authorize(enforced);
  if (allowed.ok() && !enforced && access_->enforced()) allowed = authorize(true);
  if (allowed.ok()) return Admitted{*principal, *std::move(allowed)};
  const absl::StatusCode code = allowed.status().code();
  if (code != absl::StatusCode::kUnauthenticated && code != absl::StatusCode::kPermissionDenied &&
      code != absl::StatusCode::kNotFound) {
    return allowed.status();
  }
  // Denied and unauthenticated attempts are audited too, within a budget
  // per caller and per server, so that refusals cannot grow the log without
  // bound; the principal is the one authenticated, or anonymous when
  // authentication failed.
  CallPrincipalScope scope(principal.ok() ? *principal : std::string(kAnonymous));
  CallContext call = MakeCallContext(*ctx, std::string(method), request ? RequestSha256(*request) : "");
  RecordRefusal(refusals_, store_, RefusalCaller(ctx->peer(), principal), call,
                request ? RequestResource(*request) : "", allowed.status());
  return allowed.status();
}

grpc::Status RpcGuard::Run(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                           bool mutating, const std::function<grpc::Status()>& body) const noexcept {
  const char* what = "unknown exception";
  std::string text;
  const bool heavy = IsHeavy(method);
  std::string who;  // the authenticated principal, for the audit of an exception
  absl::Time deadline = absl::FromChrono(ctx->deadline());
  if (heavy) deadline = std::min(deadline, absl::Now() + options_.heavy_call_limit);
  try {
    absl::StatusOr<Admitted> admitted = Admission(ctx, method, request);
    if (!admitted.ok()) return ToGrpcStatus(admitted.status());
    who = admitted->principal;
    CallPrincipalScope principal_scope(std::move(admitted->principal));
    if (heavy && !Admit(ctx, deadline)) {
      return ToGrpcStatus(
          ErrorBuilder(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("the server is busy with ", options_.max_heavy_calls, " heavy calls; retry later"))
              .Reason("SERVER_BUSY"));
    }
    struct Slot {
      const RpcGuard* guard;
      bool held;
      ~Slot() {
        if (held) guard->Release();
      }
    } slot{this, heavy};
    CurrentCallScope scope(ctx, deadline, &admitted->projects, store_);
    return body();
  } catch (const std::exception& e) {
    text = e.what();
    what = text.c_str();
  } catch (...) {
  }
  {
    CallPrincipalScope principal_scope(who);
    OnException(ctx, method, request, mutating, what);
  }
  try {
    return ToGrpcStatus(ErrorBuilder(absl::StatusCode::kInternal,
                                     "internal error while handling the request; the server log has the cause")
                            .Reason("INTERNAL_EXCEPTION"));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

}  // namespace fairtrace::api
