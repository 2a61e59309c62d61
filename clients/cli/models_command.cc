#include "clients/cli/models_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/model_client.h"
#include "clients/cpp/fairtrace/pull.h"
#include "clients/cpp/fairtrace/push.h"
#include "common/status/errors.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace fairtrace::cli {
namespace {

std::string ModelName(const std::string& m) { return m.rfind("models/", 0) == 0 ? m : "models/" + m; }

void PrintModel(const v1::RegisteredModel& m) {
  std::cout << m.name() << "  versions: " << m.version_count() << "  etag: " << m.etag()
            << (m.has_delete_time() ? "  (deleted)" : "") << "\n";
  if (!m.description().empty()) std::cout << "  description: " << m.description() << "\n";
  if (!m.owner().empty()) std::cout << "  owner: " << m.owner() << "\n";
  if (!m.license().empty()) std::cout << "  license: " << m.license() << "\n";
  for (const auto& [k, v] : m.tags()) std::cout << "  tag " << k << "=" << v << "\n";
  for (const auto& [a, v] : m.aliases()) std::cout << "  alias " << a << " -> " << v << "\n";
}

void PrintVersion(const v1::ModelVersion& v) {
  std::cout << v.name() << "  tree: " << v.tree_digest().sha256() << "/" << v.tree_digest().size_bytes()
            << "\n  flavors:";
  for (const auto& f : v.mlmodel().flavors()) std::cout << " " << f;
  std::cout << "\n  mlflow_version: " << v.mlmodel().mlflow_version()
            << "\n  created: " << google::protobuf::util::TimeUtil::ToString(v.create_time()) << "\n";
  if (!v.source_run().empty()) std::cout << "  source_run: " << v.source_run() << "\n";
  std::cout << "  stage: " << v1::ModelStage_Name(v.stage()).substr(12) << "\n";
  if (v.has_delete_time()) {
    std::cout << "  deleted: " << google::protobuf::util::TimeUtil::ToString(v.delete_time()) << "\n";
  }
  for (const auto& a : v.aliases()) std::cout << "  alias: " << a << "\n";
}

}  // namespace

ModelsCommand::ModelsCommand(CLI::App& app) {
  models_ = app.add_subcommand("models", "registered models and their versions");
  models_->require_subcommand(1);
  create_ = models_->add_subcommand("create", "register a model name");
  create_->add_option("MODEL", model_, "model id, e.g. leaf-segmenter")->required();
  create_->add_option("--description", description_);
  create_->add_option("--owner", owner_);
  create_->add_option("--license", license_, "SPDX identifier");
  create_->add_option("--tag", tags_, "key=value, repeatable");
  create_->add_option("--request-id", request_id_, "retries with the same id create nothing new");
  get_ = models_->add_subcommand("get", "show a model");
  get_->add_option("MODEL", model_)->required();
  get_->add_flag("--show-deleted", show_deleted_);
  list_ = models_->add_subcommand("list", "list models");
  list_->add_flag("--show-deleted", show_deleted_);
  delete_ = models_->add_subcommand("delete", "soft-delete a model (its name stays reserved)");
  delete_->add_option("MODEL", model_)->required();
  delete_->add_option("--etag", etag_, "refuse unless the model still has this etag");
  delete_->add_flag("--force", force_, "delete even though it has versions");
  versions_ = models_->add_subcommand("versions", "model versions");
  versions_->require_subcommand(1);
  register_ = versions_->add_subcommand("register", "push an MLflow model folder and register it as a version");
  register_->add_option("MODEL", model_)->required();
  register_->add_option("PATH_OR_DIGEST", path_, "MLflow model folder, or the digest of a pushed one")->required();
  register_->add_option("--description", description_);
  register_->add_option("--source-run", source_run_, "runs/{run}");
  register_->add_option("--request-id", request_id_);
  vget_ = versions_->add_subcommand("get", "show a version");
  vget_->add_option("MODEL", model_)->required();
  vget_->add_option("VERSION", version_)->required();
  vget_->add_flag("--show-deleted", show_deleted_);
  vlist_ = versions_->add_subcommand("list", "list a model's versions");
  vlist_->add_option("MODEL", model_)->required();
  vlist_->add_option("--filter", filter_, "e.g. 'stage = PRODUCTION AND tags.team = \"phenome\"' (docs/filtering.md)");
  vlist_->add_flag("--show-deleted", show_deleted_);
  vdelete_ = versions_->add_subcommand("delete", "soft-delete a version (its tree, lineage and audit trail stay)");
  vdelete_->add_option("MODEL", model_)->required();
  vdelete_->add_option("VERSION", version_, "a number")->required();
  vdelete_->add_option("--etag", etag_, "refuse unless the version still has this etag");
  vexport_ = versions_->add_subcommand("export", "pull a version as its MLflow model folder");
  vexport_->add_option("MODEL", model_)->required();
  vexport_->add_option("VERSION", version_)->required();
  vexport_->add_option("DEST", dest_, "must not exist")->required();
  alias_ = models_->add_subcommand("alias", "aliases: names like champion that point at a version");
  alias_->require_subcommand(1);
  alias_set_ = alias_->add_subcommand("set", "point ALIAS at VERSION (moving it)");
  alias_set_->add_option("MODEL", model_)->required();
  alias_set_->add_option("ALIAS", alias_name_)->required();
  alias_set_->add_option("VERSION", alias_version_)->required();
  alias_delete_ = alias_->add_subcommand("delete", "remove an alias");
  alias_delete_->add_option("MODEL", model_)->required();
  alias_delete_->add_option("ALIAS", alias_name_)->required();
}

int ModelsCommand::Run(const client::ClientOptions& options, bool json, bool tty) {
  client::ModelClient models(options);
  const std::string& server = options.target;
  std::string name = ModelName(model_);
  if (create_->parsed()) {
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(name.substr(7));
    req.set_request_id(request_id_);
    auto* m = req.mutable_registered_model();
    m->set_description(description_);
    m->set_owner(owner_);
    m->set_license(license_);
    for (const auto& t : tags_) {
      auto eq = t.find('=');
      if (eq == std::string::npos) return Fail(InvalidField("--tag", "expected key=value"), server);
      (*m->mutable_tags())[t.substr(0, eq)] = t.substr(eq + 1);
    }
    auto r = models.CreateModel(req);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintModel(*r);
    return 0;
  }
  if (get_->parsed()) {
    auto r = models.GetModel(name, show_deleted_);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintModel(*r);
    return 0;
  }
  if (list_->parsed()) {
    auto r = models.ListModels(show_deleted_);
    if (!r.ok()) return Fail(r.status(), server);
    for (const auto& m : *r) json ? void(std::cout << ProtoJson(m) << "\n") : PrintModel(m);
    return 0;
  }
  if (delete_->parsed()) {
    auto r = models.DeleteModel(name, etag_, force_);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintModel(*r);
    return 0;
  }
  if (alias_set_->parsed() || alias_delete_->parsed()) {
    auto r = alias_set_->parsed() ? models.SetAlias(name, alias_name_, alias_version_)
                                  : models.DeleteAlias(name, alias_name_);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintModel(*r);
    return 0;
  }
  std::string version_name = absl::StrCat(name, "/versions/", version_);
  if (register_->parsed()) {
    auto digest = ParseDigest(path_, "PATH_OR_DIGEST");
    if (!digest.ok()) {  // not a digest: a folder to push first
      client::CasClient cas(options);
      auto pushed = client::Push(cas, path_, {.show_progress = tty});
      if (!pushed.ok()) return Fail(pushed.status(), server);
      if (!pushed->is_tree) return Fail(InvalidField("PATH_OR_DIGEST", "must be a folder"), server);
      digest = pushed->digest;
    }
    v1::CreateModelVersionRequest req;
    req.set_parent(name);
    req.set_request_id(request_id_);
    *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(*digest);
    req.mutable_model_version()->set_description(description_);
    req.mutable_model_version()->set_source_run(source_run_);
    auto r = models.CreateVersion(req);
    if (!r.ok()) {
      // One line per MLmodel problem: the user fixes them all in one go.
      PrintViolations(r.status());
      return Fail(r.status(), server);
    }
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintVersion(*r);
    return 0;
  }
  if (vget_->parsed()) {
    auto r = models.GetVersion(version_name, show_deleted_);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintVersion(*r);
    return 0;
  }
  if (vdelete_->parsed()) {
    auto r = models.DeleteVersion(version_name, etag_);
    if (!r.ok()) return Fail(r.status(), server);
    json ? void(std::cout << ProtoJson(*r) << "\n") : PrintVersion(*r);
    return 0;
  }
  if (vlist_->parsed()) {
    auto r = models.ListVersions(name, filter_, show_deleted_);
    if (!r.ok()) return Fail(r.status(), server);
    for (const auto& v : *r) json ? void(std::cout << ProtoJson(v) << "\n") : PrintVersion(v);
    return 0;
  }
  if (vexport_->parsed()) {
    auto v = models.GetVersion(version_name);
    if (!v.ok()) return Fail(v.status(), server);
    client::CasClient cas(options);
    auto tree = DigestFromProto(v->tree_digest(), "tree_digest");
    if (!tree.ok()) return Fail(tree.status(), server);
    auto r = client::Pull(cas, *tree, dest_, tty);
    if (!r.ok()) return Fail(r.status(), server);
    if (json) {
      std::cout << nlohmann::json{{"name", v->name()}, {"path", dest_}, {"files", r->files}, {"bytes", r->bytes}}.dump()
                << "\n";
    } else {
      std::cerr << "exported " << v->name() << " (" << r->files << " files) into " << dest_ << "\n";
    }
    return 0;
  }
  return 0;
}

}  // namespace fairtrace::cli
