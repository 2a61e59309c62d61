#include "registry/runs/run_proto.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/content/digest.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/resource_util.h"

namespace fairtrace {
namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

const char* const kKinds[] = {"", "TRAINING", "EVALUATION", "PREPROCESSING", "ANNOTATION", "IMPORT"};
const char* const kStatuses[] = {"", "RUNNING", "FINISHED", "FAILED", "KILLED"};

template <typename Enum, size_t N>
Enum FromName(const char* const (&names)[N], const std::string& s) {
  for (size_t i = 1; i < N; ++i) {
    if (s == names[i]) return static_cast<Enum>(i);
  }
  return static_cast<Enum>(0);
}

std::string DigestText(const v1::Digest& d) {
  return d.sha256().empty() ? std::string() : absl::StrCat(d.sha256(), "/", d.size_bytes());
}

}  // namespace

absl::StatusOr<std::string> ParseRunName(absl::string_view name, absl::string_view field) {
  bool ok = absl::StartsWith(name, "runs/") && name.size() == 5 + 32;
  for (size_t i = 5; ok && i < name.size(); ++i) {
    char c = name[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) {
    return InvalidField(field, absl::StrCat("expected \"runs/{run}\" with 32 lowercase hex characters, got \"",
                                            text::ClipText(name, 100), "\""));
  }
  return std::string(name.substr(5));
}

std::string RunName(const std::string& run_id) { return absl::StrCat("runs/", run_id); }

const char* RunKindName(v1::RunKind kind) { return kind > 0 && kind <= v1::RUN_KIND_IMPORT ? kKinds[kind] : ""; }

const char* RunStatusName(v1::RunStatus status) {
  return status > 0 && status <= v1::RUN_STATUS_KILLED ? kStatuses[status] : "";
}

bool IsTerminal(const std::string& status) { return status != "RUNNING"; }

std::string SeedsJson(const v1::Run& run) {
  json j = json::array();
  for (const v1::Seed& s : run.seeds()) j.push_back({{"name", s.name()}, {"value", s.value()}});
  return j.dump();
}

std::string CodeJson(const v1::CodeVersion& c) {
  return json{{"repository_url", c.repository_url()},
              {"commit", c.commit()},
              {"branch", c.branch()},
              {"dirty_diff", DigestText(c.dirty_diff())},
              {"entry_point", c.entry_point()}}
      .dump();
}

std::string EnvironmentJson(const v1::Environment& e) {
  json packages = json::object();
  for (const auto& [k, v] : e.packages()) packages[k] = v;
  return json{{"python_version", e.python_version()},
              {"packages", packages},
              {"os", e.os()},
              {"cpu_model", e.cpu_model()},
              {"gpu_model", e.gpu_model()},
              {"gpu_driver", e.gpu_driver()},
              {"cuda_version", e.cuda_version()},
              {"container_image_digest", e.container_image_digest()},
              {"hostname", e.hostname()}}
      .dump();
}

std::string ArtifactNode(const v1::Artifact& a) {
  switch (a.target_case()) {
    case v1::Artifact::kBlob:
      return absl::StrCat("blobs/", a.blob().sha256(), "/", a.blob().size_bytes());
    case v1::Artifact::kTree:
      return absl::StrCat("trees/", a.tree().sha256(), "/", a.tree().size_bytes());
    default:
      return a.resource();
  }
}

v1::Artifact ArtifactFromNode(const std::string& node) {
  v1::Artifact a;
  for (const char* prefix : {"blobs/", "trees/"}) {
    if (!absl::StartsWith(node, prefix)) continue;
    absl::StatusOr<Digest> d = ParseDigest(absl::string_view(node).substr(6));
    if (!d.ok()) break;
    *(prefix[0] == 'b' ? a.mutable_blob() : a.mutable_tree()) = DigestToProto(*d);
    return a;
  }
  a.set_resource(node);
  return a;
}

v1::Metric MetricProto(const MetricRow& m) {
  v1::Metric p;
  p.set_key(m.key);
  p.set_value(m.value);
  p.set_step(m.step);
  *p.mutable_timestamp() = TimeUtil::MicrosecondsToTimestamp(m.timestamp);
  p.set_log_order(m.seq);
  return p;
}

v1::Run RunProto(const RunRow& r) {
  v1::Run p;
  p.set_name(RunName(r.run_id));
  p.set_uid(r.uid);
  p.set_experiment(r.experiment);
  p.set_project(r.project);
  p.set_kind(FromName<v1::RunKind>(kKinds, r.kind));
  p.set_status(FromName<v1::RunStatus>(kStatuses, r.status));
  p.set_status_message(r.status_message);
  *p.mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(r.start_time);
  if (r.end_time) *p.mutable_end_time() = TimeUtil::MicrosecondsToTimestamp(*r.end_time);
  json seeds = json::parse(r.seeds_json, nullptr, false);
  if (seeds.is_array()) {
    for (const json& s : seeds) {
      v1::Seed* seed = p.add_seeds();
      seed->set_name(s.value("name", ""));
      seed->set_value(s.value("value", uint64_t{0}));
    }
  }
  json code = json::parse(r.code_json, nullptr, false);
  if (code.is_object()) {
    v1::CodeVersion* c = p.mutable_code();
    c->set_repository_url(code.value("repository_url", ""));
    c->set_commit(code.value("commit", ""));
    c->set_branch(code.value("branch", ""));
    c->set_entry_point(code.value("entry_point", ""));
    absl::StatusOr<Digest> diff = ParseDigest(code.value("dirty_diff", ""));
    if (diff.ok()) *c->mutable_dirty_diff() = DigestToProto(*diff);
  }
  json env = json::parse(r.environment_json, nullptr, false);
  if (env.is_object()) {
    v1::Environment* e = p.mutable_environment();
    e->set_python_version(env.value("python_version", ""));
    e->set_os(env.value("os", ""));
    e->set_cpu_model(env.value("cpu_model", ""));
    e->set_gpu_model(env.value("gpu_model", ""));
    e->set_gpu_driver(env.value("gpu_driver", ""));
    e->set_cuda_version(env.value("cuda_version", ""));
    e->set_container_image_digest(env.value("container_image_digest", ""));
    e->set_hostname(env.value("hostname", ""));
    if (env["packages"].is_object()) {
      for (auto& [k, v] : env["packages"].items()) {
        if (v.is_string()) (*e->mutable_packages())[k] = v.get<std::string>();
      }
    }
  }
  p.set_description(r.description);
  TagsFromJson(r.tags_json, p.mutable_tags());
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(r.create_time);
  *p.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(r.update_time);
  p.set_etag(Etag(r.uid, r.revision));
  return p;
}

absl::StatusOr<v1::Run> LoadRun(RunStore* store, const RunRow& row, bool edges) {
  v1::Run p = RunProto(row);
  FT_ASSIGN_OR_RETURN(auto params, store->GetParams(row.run_id));
  for (const auto& [k, v] : params) (*p.mutable_params())[k] = v;
  FT_ASSIGN_OR_RETURN(std::vector<MetricRow> latest, store->LatestMetrics(row.run_id));
  for (const MetricRow& m : latest) *p.add_latest_metrics() = MetricProto(m);
  if (edges) FT_RETURN_IF_ERROR(LoadRunEdges(store, &p));
  return p;
}

absl::Status LoadRunEdges(RunStore* store, v1::Run* run) {
  run->clear_inputs();
  run->clear_outputs();
  const std::string& self = run->name();
  FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> rows, store->EdgesOf(self));
  for (const EdgeRow& e : rows) {
    if (e.subject == self && e.predicate == "used") {
      v1::RunEdge* in = run->add_inputs();
      in->set_role(e.role);
      *in->mutable_artifact() = ArtifactFromNode(e.object);
    } else if (e.object == self && e.predicate == "wasGeneratedBy") {
      v1::RunEdge* out = run->add_outputs();
      out->set_role(e.role);
      *out->mutable_artifact() = ArtifactFromNode(e.subject);
    }
  }
  return absl::OkStatus();
}

}  // namespace fairtrace
