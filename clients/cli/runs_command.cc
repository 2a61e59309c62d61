#include "clients/cli/runs_command.h"

#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/run_client.h"
#include "google/protobuf/util/time_util.h"

namespace fairtrace::cli {
namespace {

using google::protobuf::util::TimeUtil;

std::string RunName(const std::string& r) { return r.rfind("runs/", 0) == 0 ? r : "runs/" + r; }

std::string Enum(const std::string& full, size_t prefix) { return full.size() > prefix ? full.substr(prefix) : full; }

std::string ArtifactText(const v1::Artifact& a) {
  if (a.has_blob()) return absl::StrCat("blobs/", a.blob().sha256(), "/", a.blob().size_bytes());
  if (a.has_tree()) return absl::StrCat("trees/", a.tree().sha256(), "/", a.tree().size_bytes());
  return a.resource();
}

void PrintRunLine(const v1::Run& r) {
  std::cout << r.name() << "  " << r.experiment() << "  " << Enum(v1::RunStatus_Name(r.status()), 11) << "  "
            << TimeUtil::ToString(r.start_time());
  for (const auto& m : r.latest_metrics()) std::cout << "  " << m.key() << "=" << m.value();
  std::cout << "\n";
}

void PrintRun(const v1::Run& r) {
  std::cout << r.name() << "\n  experiment: " << r.experiment() << "\n  kind: " << Enum(v1::RunKind_Name(r.kind()), 9)
            << "\n  status: " << Enum(v1::RunStatus_Name(r.status()), 11);
  if (!r.status_message().empty()) std::cout << " (" << r.status_message() << ")";
  std::cout << "\n  start: " << TimeUtil::ToString(r.start_time());
  if (r.has_end_time()) std::cout << "\n  end: " << TimeUtil::ToString(r.end_time());
  std::cout << "\n  etag: " << r.etag() << "\n";
  for (const auto& [k, v] : r.params()) std::cout << "  param " << k << " = " << v << "\n";
  for (const auto& m : r.latest_metrics())
    std::cout << "  metric " << m.key() << " = " << m.value() << " (step " << m.step() << ")\n";
  for (const auto& s : r.seeds()) std::cout << "  seed " << s.name() << " = " << s.value() << "\n";
  const auto& c = r.code();
  if (!c.commit().empty() || !c.repository_url().empty()) {
    std::cout << "  code: " << c.repository_url() << " " << c.commit() << " (" << c.branch() << ")"
              << (c.has_dirty_diff() ? " dirty" : "") << "\n";
  }
  const auto& e = r.environment();
  if (!e.python_version().empty()) std::cout << "  python: " << e.python_version() << "\n";
  if (!e.os().empty()) std::cout << "  os: " << e.os() << "\n";
  if (!e.cpu_model().empty()) std::cout << "  cpu: " << e.cpu_model() << "\n";
  if (!e.gpu_model().empty())
    std::cout << "  gpu: " << e.gpu_model() << " driver " << e.gpu_driver() << " cuda " << e.cuda_version() << "\n";
  if (e.packages_size() > 0) std::cout << "  packages: " << e.packages_size() << "\n";
  for (const auto& in : r.inputs()) std::cout << "  input " << in.role() << ": " << ArtifactText(in.artifact()) << "\n";
  for (const auto& out : r.outputs())
    std::cout << "  output " << out.role() << ": " << ArtifactText(out.artifact()) << "\n";
}

}  // namespace

RunsCommand::RunsCommand(CLI::App& app) {
  runs_ = app.add_subcommand("runs", "training and evaluation runs");
  runs_->require_subcommand(1);
  get_ = runs_->add_subcommand("get", "show a run");
  get_->add_option("RUN", run_, "id or runs/{id}")->required();
  list_ = runs_->add_subcommand("list", "list runs, newest first");
  list_->add_option("--filter", filter_, "e.g. 'experiment = \"leaf-seg\" AND params.lr < 0.01'");
  list_->add_option("--limit", limit_, "at most this many (0: all)")->check(CLI::NonNegativeNumber);
  metrics_ = runs_->add_subcommand("metrics", "the history of one metric");
  metrics_->add_option("RUN", run_)->required();
  metrics_->add_option("KEY", key_)->required();
  lineage_ = runs_->add_subcommand("lineage", "provenance edges around a resource");
  lineage_->add_option("RESOURCE", resource_, "models/m/versions/3, runs/{id}, blobs/{sha256}/{size}...")->required();
  lineage_->add_flag("--downstream", downstream_, "what was made from it (default: what it was made from)");
  lineage_->add_option("--depth", depth_, "hops (default 10, max 50)");
}

int RunsCommand::Run(const client::ClientOptions& options, bool json) {
  client::RunClient runs(options);
  const std::string& server = options.target;
  if (get_->parsed()) {
    auto r = runs.GetRun(RunName(run_));
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintRun(*r);
    return 0;
  }
  if (list_->parsed()) {
    auto r = runs.ListRuns(filter_, limit_);
    if (!r.ok()) return Fail(r.status(), server);
    for (const auto& run : *r) json ? void(std::cout << ProtoJson(run) << "\n") : PrintRunLine(run);
    return 0;
  }
  if (metrics_->parsed()) {
    auto r = runs.MetricHistory(RunName(run_), key_);
    if (!r.ok()) return Fail(r.status(), server);
    if (!json) std::cout << "step\tvalue\ttime\n";
    for (const auto& m : *r) {
      if (json) {
        // JSON has no NaN/inf: those values are written as strings.
        nlohmann::json v = std::isfinite(m.value()) ? nlohmann::json(m.value())
                                                    : nlohmann::json(std::isnan(m.value()) ? "NaN"
                                                                     : m.value() > 0       ? "Infinity"
                                                                                           : "-Infinity");
        std::cout << nlohmann::json{{"key", m.key()},
                                    {"step", m.step()},
                                    {"value", v},
                                    {"timestamp", TimeUtil::ToString(m.timestamp())}}
                         .dump()
                  << "\n";
      } else {
        std::cout << m.step() << "\t" << m.value() << "\t" << TimeUtil::ToString(m.timestamp()) << "\n";
      }
    }
    return 0;
  }
  if (lineage_->parsed()) {
    auto r = runs.Lineage(resource_, downstream_, depth_);
    if (!r.ok()) return Fail(r.status(), server);
    if (json) {
      std::cout << ProtoJson(*r) << "\n";
      return 0;
    }
    for (const auto& e : r->edges()) {
      std::cout << std::string(2 * (e.depth() - 1), ' ') << e.subject() << " --" << e.predicate() << "(" << e.role()
                << ")--> " << e.object() << "\n";
    }
    if (r->truncated()) std::cout << "(truncated: more edges beyond the depth or size cap)\n";
    return 0;
  }
  return 0;
}

}  // namespace fairtrace::cli
