#include "registry/server/registry_server.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs/fs_util.h"
#include "common/status/status_macros.h"
#include "registry/server/data_folder.h"
#include "registry/server/log_keys.h"
#include "registry/server/request_log.h"
#include "registry/store/sqlite/sqlite_backend.h"

namespace fairtrace {

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(const ServerOptions& options) {
  // How the port may be exposed is decided before anything touches the disk.
  FT_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                      ServerCredentialsFor(options.listen, options.transport));
  std::unique_ptr<RegistryServer> s(new RegistryServer());
  s->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data folder ", options.data_dir, ": ", ec.message()));
  }
  // The data folder holds the database (with the page-token key) and every
  // blob: only the server's user may enter it, whatever the umask or an
  // older version left (0755 / 0644 before).
  std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot restrict the data folder ", options.data_dir, " to its owner: ", ec.message()));
  }
  FT_ASSIGN_OR_RETURN(s->lock_, LockDataFolder(options.data_dir));
  const std::filesystem::path db_path = std::filesystem::path(options.data_dir) / "fairtrace.db";
  FT_ASSIGN_OR_RETURN(s->backend_, SqliteBackend::Open({.path = db_path.string()}));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path f = db_path.string() + suffix;
    std::error_code ignored;  // -wal and -shm may not exist yet
    std::filesystem::permissions(f, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ignored);
  }
  FT_ASSIGN_OR_RETURN(s->blobs_, BlobStore::Open(std::filesystem::path(options.data_dir) / "cas"));
  // Page tokens are signed with a key kept in the database, so they stay
  // valid across restarts and cannot be forged by clients.
  FT_ASSIGN_OR_RETURN(std::string token_key,
                      s->backend_->models()->GetOrCreateSecret("page_token_key", [] { return fs::RandomName(); }));
  CasLimits limits;
  limits.max_blob_size = options.max_blob_bytes;
  limits.upload_quota = options.upload_quota;
  // Leave room for the message envelope around batch data.
  limits.max_batch_bytes = std::max<int64_t>(options.max_message_bytes - (64 << 10), 1 << 16);
  s->content_store_ = std::make_unique<ContentStore>(s->backend_->content(), s->blobs_.get(), limits, token_key);
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  FT_ASSIGN_OR_RETURN(s->access_, AccessControl::Create(s->backend_->access(), s->backend_->content(), now));
  FT_RETURN_IF_ERROR(CheckExposure(options.listen, options.transport, s->access_->enforced()));
  s->guard_ = std::make_unique<api::RpcGuard>(s->backend_->content(), options.guard, s->access_.get());
  s->access_service_ = std::make_unique<api::AccessServiceImpl>(s->access_.get(), s->guard_.get());
  const api::RpcGuard* guard = s->guard_.get();
  s->cas_service_ = std::make_unique<api::CasServiceImpl>(
      s->content_store_.get(), static_cast<size_t>(std::min(options.read_chunk_bytes, options.max_message_bytes / 2)),
      guard);
  s->admin_service_ = std::make_unique<api::AdminServiceImpl>(s->backend_->content(), s->blobs_.get(), guard);
  // The checkpoint key lives beside the database, not in it: whoever can
  // rewrite the database cannot re-sign its history unless they also hold
  // this file (docs/audit-log.md).
  FT_ASSIGN_OR_RETURN(std::vector<NoteSigner> log_keys, LoadOrCreateLogKeys(options.data_dir, options.log_origin));
  for (const NoteSigner& k : log_keys) s->checkpoint_keys_.push_back(k.VerifierKey());
  s->audit_log_ = std::make_unique<AuditLog>(s->backend_->content(), std::move(log_keys));
  s->audit_service_ =
      std::make_unique<api::AuditServiceImpl>(s->backend_->content(), s->audit_log_.get(), guard, token_key);
  s->model_registry_ =
      std::make_unique<ModelRegistry>(s->backend_->content(), s->backend_->models(), s->backend_->runs(),
                                      s->content_store_.get(), &mlmodel::Validator::Default(), token_key, now);
  s->model_service_ = std::make_unique<api::ModelServiceImpl>(s->model_registry_.get(), guard);
  s->run_end_check_ =
      std::make_unique<splits::RunLeakageCheck>(s->content_store_.get(), s->backend_->datasets(), s->backend_->splits(),
                                                s->backend_->investigations(), s->backend_->runs());
  RunLimits run_limits;
  run_limits.refuse_leakage = options.refuse_leakage;
  s->run_registry_ =
      std::make_unique<RunRegistry>(s->backend_->content(), s->backend_->models(), s->backend_->runs(),
                                    s->backend_->datasets(), s->backend_->annotations(), s->backend_->splits(),
                                    s->run_end_check_.get(), s->model_registry_.get(), token_key, now, run_limits);
  // Artifacts come through the MLflow door; a run that has some gets its
  // folder's tree when it ends, whichever API ends it.
  s->run_artifacts_ =
      std::make_unique<RunArtifacts>(s->backend_->content(), s->backend_->runs(), s->content_store_.get(), now);
  s->run_registry_->set_artifacts(s->run_artifacts_.get());
  s->experiment_registry_ =
      std::make_unique<ExperimentRegistry>(s->backend_->content(), s->backend_->experiments(), now);
  s->run_service_ = std::make_unique<api::RunServiceImpl>(s->run_registry_.get(), s->experiment_registry_.get(), guard);
  for (const std::string& path : options.ontology_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ontology file ", path));
    std::string obo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto o = std::make_shared<miappe::Ontology>(miappe::Ontology::Parse(path, obo));
    std::cerr << "fairtrace-server: ontology " << o->snapshot() << " (" << o->size() << " terms)\n";
    s->ontologies_.Add(std::move(o));
  }
  if (!options.country_outlines.empty()) {
    absl::StatusOr<std::unique_ptr<miappe::DcwCountries>> places = miappe::DcwCountries::Open(options.country_outlines);
    if (places.ok()) {
      s->places_ = *std::move(places);
      std::cerr << "fairtrace-server: country outlines " << s->places_->Snapshot() << "\n";
    } else {
      std::cerr << "fairtrace-server: " << places.status().message() << "; site coordinates are not checked\n";
    }
  }
  s->investigation_registry_ = std::make_unique<InvestigationRegistry>(s->backend_->content(), s->backend_->models(),
                                                                       s->backend_->investigations(), token_key, now,
                                                                       &s->ontologies_, s->places_.get());
  s->investigation_service_ = std::make_unique<api::InvestigationServiceImpl>(s->investigation_registry_.get(), guard,
                                                                              "fairtrace.v1.InvestigationService");
  s->experiment_service_ = std::make_unique<api::ExperimentServiceImpl>(  // deprecated alias
      s->investigation_registry_.get(), guard, "fairtrace.v1.ExperimentService");
  s->dataset_registry_ =
      std::make_unique<DatasetRegistry>(s->backend_->content(), s->content_store_.get(), s->backend_->models(),
                                        s->backend_->investigations(), s->backend_->datasets(), token_key, now);
  s->dataset_service_ = std::make_unique<api::DatasetServiceImpl>(s->dataset_registry_.get(), guard);
  s->annotation_registry_ = std::make_unique<AnnotationRegistry>(
      s->backend_->content(), s->content_store_.get(), s->backend_->models(), s->backend_->datasets(),
      s->backend_->annotations(), s->backend_->investigations(), token_key, now);
  s->annotation_service_ = std::make_unique<api::AnnotationServiceImpl>(s->annotation_registry_.get(), guard);
  s->split_registry_ = std::make_unique<SplitRegistry>(s->backend_->content(), s->content_store_.get(),
                                                       s->backend_->models(), s->backend_->datasets(),
                                                       s->backend_->annotations(), s->backend_->investigations(),
                                                       s->backend_->splits(), s->backend_->runs(), token_key, now);
  s->split_service_ = std::make_unique<api::SplitServiceImpl>(s->split_registry_.get(), guard);

  s->blobs_->CleanAbandonedUploads(options.abandoned_upload_age);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &s->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterService(s->cas_service_.get());
  builder.RegisterService(s->admin_service_.get());
  builder.RegisterService(s->audit_service_.get());
  builder.RegisterService(s->model_service_.get());
  builder.RegisterService(s->run_service_.get());
  builder.RegisterService(s->investigation_service_.get());
  builder.RegisterService(s->experiment_service_.get());
  builder.RegisterService(s->dataset_service_.get());
  builder.RegisterService(s->annotation_service_.get());
  builder.RegisterService(s->split_service_.get());
  builder.RegisterService(s->access_service_.get());
  if (options.log_requests) builder.experimental().SetInterceptorCreators(RequestLogInterceptors());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  if (!options.mlflow_listen.empty()) {
    CallContext server_ctx;
    server_ctx.principal = "fairtrace-server";
    server_ctx.method = "fairtrace-server/CreateDefaultExperiment";
    FT_RETURN_IF_ERROR(s->experiment_registry_->EnsureDefault(server_ctx));
    mlflow::DoorOptions door;
    door.listen = options.mlflow_listen;
    door.page_token_key = token_key;
    door.max_artifact_bytes = static_cast<size_t>(options.mlflow_max_artifact_bytes);
    door.tls_cert = options.transport.tls_cert;
    door.tls_key = options.transport.tls_key;
    door.client_ca = options.transport.client_ca;
    door.insecure = options.transport.insecure;
    // Off loopback, grants must be enforced, as for the gRPC port.
    FT_RETURN_IF_ERROR(CheckExposure(options.mlflow_listen, options.transport, s->access_->enforced()));
    FT_ASSIGN_OR_RETURN(
        s->mlflow_door_,
        mlflow::MlflowDoor::Start(door, {s->backend_->content(), s->access_.get(), s->experiment_registry_.get(), now,
                                         s->run_registry_.get(), s->run_artifacts_.get(), s->model_registry_.get()}));
  }
  s->cleanup_ = std::thread([raw = s.get()] { raw->CleanupLoop(); });
  return s;
}

void RegistryServer::CleanupLoop() {
  while (!stopping_.WaitForNotificationWithTimeout(options_.cleanup_interval)) {
    int n = blobs_->CleanAbandonedUploads(options_.abandoned_upload_age);
    if (n > 0) std::cerr << "fairtrace-server: removed " << n << " abandoned upload(s)\n";
  }
}

void RegistryServer::Wait() { stopped_.WaitForNotification(); }

void RegistryServer::Shutdown(absl::Duration grace) {
  if (stopping_.HasBeenNotified()) return;
  stopping_.Notify();
  if (!server_) {  // Start() failed before the server was built
    if (cleanup_.joinable()) cleanup_.join();
    stopped_.Notify();
    return;
  }
  if (mlflow_door_) mlflow_door_->Stop();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
  server_->Wait();
  server_.reset();
  mlflow_door_.reset();
  experiment_registry_.reset();
  if (cleanup_.joinable()) cleanup_.join();
  cas_service_.reset();
  admin_service_.reset();
  audit_service_.reset();
  access_service_.reset();
  audit_log_.reset();
  experiment_service_.reset();
  dataset_service_.reset();
  dataset_registry_.reset();
  investigation_service_.reset();
  investigation_registry_.reset();
  run_service_.reset();
  run_registry_.reset();
  run_artifacts_.reset();
  model_service_.reset();
  model_registry_.reset();
  content_store_.reset();
  blobs_.reset();
  access_.reset();
  backend_.reset();  // checkpoints and closes the database
  lock_ = fs::Fd();  // then the data folder is free for offline commands
  stopped_.Notify();
}

RegistryServer::~RegistryServer() { Shutdown(absl::Seconds(5)); }

}  // namespace fairtrace
