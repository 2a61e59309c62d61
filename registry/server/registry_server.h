// RegistryServer: builds the whole service from options (store, blob store,
// core, gRPC services, health, reflection, request logging) and runs it.
// main.cc adds flags and signals; tests can run it in-process.
//
// Start() binds and returns; Shutdown() stops accepting calls, lets
// in-flight calls finish until the grace deadline, then closes the store.
// Thread-safe: Shutdown may be called from any thread, once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/fs/fs_util.h"
#include "registry/api/access_service.h"
#include "registry/api/admin_service.h"
#include "registry/api/annotation_service.h"
#include "registry/api/cas_service.h"
#include "registry/api/dataset_service.h"
#include "registry/api/investigation_service.h"
#include "registry/api/model_service.h"
#include "registry/api/run_service.h"
#include "registry/api/split_service.h"
#include "registry/cas/blob_store.h"
#include "registry/content/content_store.h"
#include "registry/experiments/experiment_registry.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/models/model_registry.h"
#include "registry/server/transport_security.h"
#include "registry/splits/run_leakage.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "validators/miappe/dcw_countries.h"

namespace fairtrace {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "fairtrace-data";
  int64_t max_message_bytes = int64_t{16} << 20;
  int64_t max_blob_bytes = int64_t{16} << 30;
  int64_t read_chunk_bytes = int64_t{1} << 20;
  absl::Duration abandoned_upload_age = absl::Hours(24);
  absl::Duration cleanup_interval = absl::Minutes(10);
  bool log_requests = true;
  // OBO files loaded at start for MIAPPE term checks (ontology.h).
  std::vector<std::string> ontology_files;
  // Country outlines for SEM-COORD-COUNTRY (dcw_countries.h); "" or a
  // missing file: not checked (said on stderr at start).
  std::string country_outlines = "/usr/share/gmt-dcw/dcw-gmt.nc";
  // Heavy calls: how many at once and their server-side deadline.
  api::GuardOptions guard;
  // Refuse to end FINISHED a run whose train / test inputs leak
  // (RunLimits::refuse_leakage).
  bool refuse_leakage = false;
  // TLS, mutual TLS, and whether plaintext may leave loopback
  // (transport_security.h).
  TransportOptions transport;
  // The audit log's origin (checkpoint key name) when its key is created,
  // on first start; "" picks "fairtrace/<host>/<random>" (log_keys.h).
  std::string log_origin;
  // Disk that unfinished uploads may hold (docs/limits.md).
  UploadQuota upload_quota;  // core/content_store.h
  // The MLflow door's ADDR:PORT (docs/mlflow-door.md); "" = off.
  std::string mlflow_listen;
  int64_t mlflow_max_artifact_bytes = int64_t{2} << 30;  // one artifact upload
};

class RegistryServer {
 public:
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(const ServerOptions& options);
  ~RegistryServer();

  int port() const { return port_; }
  // The MLflow door's port; 0 when it is off.
  int mlflow_port() const { return mlflow_door_ ? mlflow_door_->port() : 0; }
  bool mlflow_tls() const { return mlflow_door_ && mlflow_door_->tls(); }
  bool authorization_enforced() const { return access_->enforced(); }
  // The audit log's verifier key(s) ("<name>+<id>+<key>"), the log's first.
  const std::vector<std::string>& checkpoint_keys() const { return checkpoint_keys_; }
  // Blocks until Shutdown() completes.
  void Wait();
  void Shutdown(absl::Duration grace);

 private:
  RegistryServer() = default;
  void CleanupLoop();

  ServerOptions options_;
  fs::Fd lock_;  // the data folder's flock, held while the server lives
  std::unique_ptr<SqliteBackend> backend_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> content_store_;
  std::unique_ptr<AccessControl> access_;  // before the guard that borrows it
  std::unique_ptr<api::RpcGuard> guard_;   // before the services that borrow it
  std::unique_ptr<api::AccessServiceImpl> access_service_;
  std::unique_ptr<api::CasServiceImpl> cas_service_;
  std::unique_ptr<api::AdminServiceImpl> admin_service_;
  std::unique_ptr<AuditLog> audit_log_;
  std::unique_ptr<api::AuditServiceImpl> audit_service_;
  std::unique_ptr<ModelRegistry> model_registry_;
  std::unique_ptr<api::ModelServiceImpl> model_service_;
  std::unique_ptr<splits::RunLeakageCheck> run_end_check_;
  std::unique_ptr<RunRegistry> run_registry_;
  std::unique_ptr<RunArtifacts> run_artifacts_;  // filled by the MLflow door's artifact proxy
  std::unique_ptr<api::RunServiceImpl> run_service_;
  miappe::OntologySet ontologies_;
  std::unique_ptr<miappe::DcwCountries> places_;
  std::unique_ptr<InvestigationRegistry> investigation_registry_;
  std::unique_ptr<api::InvestigationServiceImpl> investigation_service_;
  std::unique_ptr<api::ExperimentServiceImpl> experiment_service_;  // deprecated alias
  std::unique_ptr<DatasetRegistry> dataset_registry_;
  std::unique_ptr<api::DatasetServiceImpl> dataset_service_;
  std::unique_ptr<AnnotationRegistry> annotation_registry_;
  std::unique_ptr<api::AnnotationServiceImpl> annotation_service_;
  std::unique_ptr<SplitRegistry> split_registry_;
  std::unique_ptr<api::SplitServiceImpl> split_service_;
  std::unique_ptr<ExperimentRegistry> experiment_registry_;
  std::unique_ptr<mlflow::MlflowDoor> mlflow_door_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::vector<std::string> checkpoint_keys_;
  absl::Notification stopping_;
  absl::Notification stopped_;
  std::thread cleanup_;
};

}  // namespace fairtrace
