// StateReads: ties a resource's state document (docs/audit-log.md, "State
// digests") to what the ordinary read RPCs return for that resource, so an
// auditor's `fairtrace audit verify --deep --reads` checks each digest the
// log carries against the API's own answers, not only against the documents
// the server presents for hashing.
//
// For each kind a "read view" is built on the client from the ordinary
// read's response (GetModelVersion, GetRun, ListMetricHistory, GetSplit,
// ListPartItems, ...):
// a JSON object holding, under the document's own field names and in the
// document's representation, every field of the document that the read
// returns. A chain the reads return whole is recomputed here (a run's
// `params`, a split's `items`). CompareReadView then requires each field of
// the view to equal the document's. The fields compared per kind, and
// those no read returns, are listed in docs/audit-log.md.
//
// Errors: Check() never fails; a read that fails is reported as not read
// (with the status), except NOT_FOUND, which is a difference: the document
// says the resource exists. Not thread-safe (caches the token and grant
// lists): one per verifying thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "fairtrace/v1/access.grpc.pb.h"
#include "fairtrace/v1/annotations.grpc.pb.h"
#include "fairtrace/v1/datasets.grpc.pb.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "fairtrace/v1/splits.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace fairtrace::client {

struct ReadCheck {
  // Whether an ordinary read was made and compared.
  bool read = false;
  // When not read: why (no gRPC read for the kind, the read refused...).
  std::string not_read;
  // The read RPC, e.g. "GetModelVersion".
  std::string rpc;
  // Fields compared (a chain counts as one).
  int fields = 0;
  // One line per field that differs.
  std::vector<std::string> differences;
  // Fields of the view left uncompared for this resource, with why (a
  // lineage the caller sees redacted).
  std::vector<std::string> not_compared;
};

// Compares `view` (a read view, above) with the state document `doc`:
// every field of the view must be in the document with an equal value. A
// document leaves `project` out when it is "default"; a read says "" or
// "default" for it.
ReadCheck CompareReadView(const nlohmann::json& doc, const nlohmann::json& view, const std::string& rpc);

// The read views of each kind, from a read's response (pure; tested
// without a server). Times are microseconds since the epoch, unset ones
// null, enums the names the documents store.
nlohmann::json RegisteredModelView(const v1::RegisteredModel& m);
nlohmann::json ModelVersionView(const v1::ModelVersion& v);
nlohmann::json ModelAliasView(const v1::RegisteredModel& m, const std::string& alias);
// `history`: every metric point of the run (ListMetricHistory of each key
// in latest_metrics), for the metrics chain.
nlohmann::json RunView(const v1::Run& r, const std::vector<v1::Metric>& history);
// A run's `artifacts` chain from its artifact changes (ListArtifactChanges).
nlohmann::json ArtifactsChain(const std::vector<v1::ArtifactChange>& changes);
// `entities`: every entity of the revision (ListEntities of each section),
// for the entities chain.
nlohmann::json InvestigationRevisionView(const v1::Investigation& i, const std::vector<v1::MiappeEntity>& entities);
nlohmann::json DatasetView(const v1::Dataset& d);
// `items`: every item of the version (ListItems), for the items and links
// chains.
nlohmann::json DatasetVersionView(const v1::DatasetVersion& v, const std::vector<v1::Item>& items);
// `annotations`: every annotation of the set (ListAnnotations), for the
// annotations chain.
nlohmann::json AnnotationSetView(const v1::AnnotationSet& s, const std::vector<v1::Annotation>& annotations);
nlohmann::json AgreementReportView(const v1::AgreementReport& r);
// `part_paths`: each part's item paths (ListPartItems), for the items chain.
nlohmann::json SplitView(const v1::Split& s, const std::map<std::string, std::vector<std::string>>& part_paths);
nlohmann::json LeakageReportView(const v1::LeakageReport& r);
nlohmann::json ExperimentView(const v1::Experiment& e);
nlohmann::json TokenView(const v1::Token& t);
// The `lineage` chain of resource `name` from the edges GetLineage returns
// around it (upstream and downstream, depth 1): those whose `origin` is
// `name`, sorted. nullopt when one of them shows a redacted node (the
// caller may not see it, so the chain cannot be rebuilt).
std::optional<std::string> OwnLineageChain(const std::string& name, const std::vector<v1::LineageEdge>& edges);
nlohmann::json GrantView(const v1::Grant& g);

class StateReads {
 public:
  StateReads(std::shared_ptr<grpc::Channel> channel, ClientOptions options);

  // Reads the resource `doc` describes (by its "kind" and "name") and
  // compares the read view with it.
  ReadCheck Check(const nlohmann::json& doc);

 private:
  ReadCheck CheckDocument(const nlohmann::json& doc);
  // Runs `call` with a fresh context; a failure becomes `*check`'s verdict.
  template <typename Call>
  bool Read(ReadCheck* check, const std::string& name, Call call);
  // The read of `name` by a Get RPC whose request holds only the name;
  // nullopt when it failed (then `*check` says why).
  template <typename Stub, typename Request, typename Response>
  std::optional<Response> GetByName(ReadCheck* check, const std::string& name, const char* rpc, Stub* stub,
                                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*));
  // Every row of every page of a List RPC (`method` of `stub`, page tokens
  // followed; `rows` the response's repeated field); nullopt when a read
  // failed (`*check` says).
  template <typename Row, typename Stub, typename Request, typename Response>
  std::optional<std::vector<Row>> ListAll(ReadCheck* check, const std::string& name, const char* rpc, Request req,
                                          Stub* stub,
                                          grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                          google::protobuf::RepeatedPtrField<Row>* (Response::*rows)());
  // Each part's item paths (ListPartItems).
  std::optional<std::map<std::string, std::vector<std::string>>> PartPaths(const v1::Split& s, ReadCheck* check);
  // Every point of every metric of the run (ListMetricHistory per key).
  std::optional<std::vector<v1::Metric>> MetricHistory(const v1::Run& r, ReadCheck* check);
  // Adds `name`'s lineage chain (GetLineage both ways, depth 1) to `view`;
  // leaves it out, with the reason in `check->not_compared`, when the
  // edges are redacted or cut; false when a read failed (`*check` says).
  bool AddLineage(const std::string& name, nlohmann::json* view, ReadCheck* check);
  // Every item of dataset version `version` (ListItems).
  std::optional<std::vector<v1::Item>> Items(const std::string& version, ReadCheck* check);
  // The history of run `run`'s artifact folder (ListArtifactChanges).
  std::optional<std::vector<v1::ArtifactChange>> ArtifactChanges(const std::string& run, ReadCheck* check);
  // Every annotation of annotation set `set` (ListAnnotations).
  std::optional<std::vector<v1::Annotation>> Annotations(const std::string& set, ReadCheck* check);
  // Every entity of investigation revision `i` (ListEntities of each
  // MIAPPE section).
  std::optional<std::vector<v1::MiappeEntity>> Entities(const v1::Investigation& i, ReadCheck* check);
  // The uid of dataset version `version` (GetDatasetVersion), which its
  // annotation sets and splits record.
  std::optional<std::string> VersionUid(const std::string& version, ReadCheck* check);
  std::optional<nlohmann::json> ListedToken(const std::string& name, ReadCheck* check);
  std::optional<nlohmann::json> ListedGrant(const std::string& name, ReadCheck* check);

  ClientOptions options_;
  std::unique_ptr<v1::ModelService::Stub> models_;
  std::unique_ptr<v1::RunService::Stub> runs_;
  std::unique_ptr<v1::InvestigationService::Stub> investigations_;
  std::unique_ptr<v1::DatasetService::Stub> datasets_;
  std::unique_ptr<v1::AnnotationService::Stub> annotations_;
  std::unique_ptr<v1::SplitService::Stub> splits_;
  std::unique_ptr<v1::AccessService::Stub> access_;
  // ListTokens / ListGrants, read once: views by resource name, or the
  // status of the refused list.
  std::optional<absl::StatusOr<std::map<std::string, nlohmann::json>>> tokens_, grants_;
};

}  // namespace fairtrace::client
