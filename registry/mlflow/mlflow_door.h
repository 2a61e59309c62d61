// MlflowDoor: the MLflow REST API 2.0 over HTTP/1.1 (docs/mlflow-door.md),
// so that unmodified MLflow clients log into fairtrace. An adapter, as the
// gRPC services are: it authenticates, authorizes with the same principals,
// roles and projects (AccessControl), turns JSON into calls of the core
// registries and their errors into MLflow's JSON errors.
//
// Transport (Debian's cpp-httplib 0.11, compiled; its defaults are set
// here, not trusted): a pool of `workers` threads, keep-alive connections
// closed after `keep_alive_seconds` idle so that they do not pin the
// workers, TCP_NODELAY, read/write timeouts, bodies up to
// `max_body_bytes` (413 past it). Before any body is read, a request is
// refused when its path is longer than 1,024 bytes (414), when it has a
// Transfer-Encoding (411; only an artifact upload may be chunked: it is
// read after authorization into a receiver that bounds its size), when it
// has a Range (416), when its Content-Length is past the limit (413), or
// when its
// path is not an endpoint (404 ENDPOINT_NOT_FOUND) or not for its method
// (405). Endpoints are matched by exact path (the library's std::regex
// routes are registered as escaped literals, matched only after the exact
// check passed). JSON bodies are checked for nesting (64 levels) before
// parsing; unknown fields are ignored, as MLflow does.
//
// Off loopback the door needs TLS like the gRPC port (DoorOptions).
// Thread-safe; Stop() before destroying what it borrows.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "registry/core/call_context.h"
#include "registry/experiments/experiment_registry.h"
#include "registry/runs/run_artifacts.h"
#include "registry/runs/run_registry.h"
#include "registry/store/project_scope.h"
#include "registry/store/store.h"
#include "registry/trust/access_control.h"
#include "registry/trust/refusal_limiter.h"

namespace httplib {
class ContentReader;
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace fairtrace::mlflow {

struct DoorOptions {
  std::string listen = "127.0.0.1:0";  // ADDR:PORT, port 0 picks one
  int workers = 16;
  int keep_alive_seconds = 5;
  int io_timeout_seconds = 30;
  size_t max_body_bytes = size_t{16} << 20;     // JSON requests
  size_t max_artifact_bytes = size_t{2} << 30;  // one artifact upload
  std::string page_token_key;                   // signs page tokens
  // TLS as on the gRPC port (server/transport_security.h): PEM files of
  // the server's certificate chain and key; with `client_ca`, every client
  // must present a certificate it signed (the principal is then
  // "x509:<subject>", RFC 2253, as gRPC gives it). Off loopback the door
  // refuses to start without TLS unless `insecure`.
  std::string tls_cert, tls_key, client_ca;
  bool insecure = false;
};

struct DoorDependencies {
  Store* store = nullptr;  // audit records, project lookups
  const AccessControl* access = nullptr;
  ExperimentRegistry* experiments = nullptr;
  std::function<int64_t()> now_micros;
  RunRegistry* runs = nullptr;        // null: no runs endpoints
  RunArtifacts* artifacts = nullptr;  // null: no artifact proxy
  ModelRegistry* models = nullptr;    // null: no model registry endpoints
};

// One call as a handler sees it.
struct DoorCall {
  std::string principal;
  CallContext ctx;        // method "mlflow:/api/2.0/mlflow/…"
  nlohmann::json params;  // the JSON body (POST) or the query parameters (GET)
  ProjectScope projects;  // what the caller may see
};

// An endpoint: its access and how its projects are found, then its work.
struct Endpoint {
  std::string method;  // "GET" or "POST"
  std::string path;    // "/api/2.0/mlflow/experiments/create"
  Access access;
  ProjectRule rule;
  // The resources and projects the call names (rule kFields).
  std::function<absl::StatusOr<std::vector<ProjectTarget>>(const nlohmann::json&)> targets;
  std::function<absl::StatusOr<nlohmann::json>(DoorCall&)> handle;
  // A path prefix (the artifact proxy): the rest of the request's path,
  // URL-decoded, is the parameter "artifact_path".
  bool prefix = false;
  // Set instead of `handle` by endpoints that answer with bytes or read
  // their body as a stream (the artifact proxy): `body` is null unless the
  // method is PUT. An error status becomes MLflow's error JSON.
  std::function<absl::Status(DoorCall&, const httplib::Request&, httplib::Response&, const httplib::ContentReader*)>
      stream;
};

class MlflowDoor {
 public:
  static absl::StatusOr<std::unique_ptr<MlflowDoor>> Start(DoorOptions options, DoorDependencies deps);
  ~MlflowDoor();
  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert.empty(); }
  void Stop();

  // MLflow's error JSON and HTTP status for `status`.
  static std::pair<int, nlohmann::json> ErrorOf(const absl::Status& status);

 private:
  MlflowDoor(DoorOptions options, DoorDependencies deps);
  void Serve(const Endpoint& e, const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* body);
  absl::StatusOr<DoorCall> Admit(const Endpoint& e, const httplib::Request& req, nlohmann::json params);

  DoorOptions options_;
  DoorDependencies deps_;
  std::vector<Endpoint> endpoints_;
  std::unique_ptr<httplib::Server> http_;
  mutable RefusalLimiter refusals_;
  std::thread thread_;
  std::atomic<bool> listen_returned_ = false;
  int port_ = 0;
};

// The resource `collection`/`id` a request names, as the one target an
// endpoint acts on (its project looked up); INVALID_ARGUMENT naming
// `field` for an id that could name nothing.
absl::StatusOr<std::vector<ProjectTarget>> ActOnTarget(Store* store, const std::string& collection,
                                                       const std::string& id, const std::string& field);

// The project a create names in its tag fairtrace.project (kProjectTag;
// absent or "" means default), as the create's one target.
absl::StatusOr<std::vector<ProjectTarget>> CreateInTaggedProject(const nlohmann::json& params);

// One level of a folder as MLflow's file list ({"files": [{"path",
// "is_dir", "file_size", "fairtrace_sha256"}]}, no "files" when empty).
// Paths are the entries' names, or "{dir}/{name}" when `dir` is given (the
// tracking API's artifacts/list names them from the run's root).
nlohmann::json ArtifactFilesJson(const std::vector<RunArtifacts::Entry>& entries, const std::string& dir = "");

// The experiments endpoints (experiments_endpoints.cc).
std::vector<Endpoint> ExperimentEndpoints(const DoorDependencies& deps, const std::string& page_token_key);
// The artifact proxy (artifacts_endpoints.cc).
// Uploads stop past `max_artifact_bytes` (413), chunked ones included.
std::vector<Endpoint> ArtifactEndpoints(const DoorDependencies& deps, size_t max_artifact_bytes);
// The model registry endpoints (models_endpoints.cc).
std::vector<Endpoint> ModelEndpoints(const DoorDependencies& deps, const std::string& page_token_key);
// The runs endpoints (runs_endpoints.cc).
std::vector<Endpoint> RunEndpoints(const DoorDependencies& deps, const std::string& page_token_key);

}  // namespace fairtrace::mlflow
