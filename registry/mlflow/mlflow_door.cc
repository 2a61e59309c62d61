#include "registry/mlflow/mlflow_door.h"

#include <httplib.h>

#include <chrono>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/json_depth.h"
#include "common/text/utf8.h"
#include "registry/core/listen_address.h"
#include "registry/core/resource_project.h"
#include "registry/core/resource_util.h"
#include "registry/mlflow/mlflow_params.h"
#include "registry/trust/refusal_audit.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxPath = 1024;
constexpr int kMaxJsonDepth = 64;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, const char* code, const std::string& message) {
  SendJson(res, status, {{"error_code", code}, {"message", message}});
}

// The library's routes are std::regex: registered as escaped literals, and
// reached only by paths the exact check let through.
std::string LiteralPattern(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (absl::StrContains(".^$|()[]{}*+?\\", c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::pair<int, json> MlflowDoor::ErrorOf(const absl::Status& status) {
  struct Map {
    absl::StatusCode code;
    int http;
    const char* mlflow;
  };
  static constexpr Map kMap[] = {
      {absl::StatusCode::kInvalidArgument, 400, "INVALID_PARAMETER_VALUE"},
      {absl::StatusCode::kNotFound, 404, "RESOURCE_DOES_NOT_EXIST"},
      {absl::StatusCode::kAlreadyExists, 400, "RESOURCE_ALREADY_EXISTS"},
      {absl::StatusCode::kFailedPrecondition, 400, "INVALID_STATE"},
      {absl::StatusCode::kAborted, 409, "ABORTED"},
      {absl::StatusCode::kPermissionDenied, 403, "PERMISSION_DENIED"},
      {absl::StatusCode::kUnauthenticated, 401, "UNAUTHENTICATED"},
      {absl::StatusCode::kResourceExhausted, 429, "REQUEST_LIMIT_EXCEEDED"},
      {absl::StatusCode::kDeadlineExceeded, 504, "DEADLINE_EXCEEDED"},
      {absl::StatusCode::kUnavailable, 503, "TEMPORARILY_UNAVAILABLE"},
  };
  int http = 500;
  const char* code = "INTERNAL_ERROR";
  for (const Map& m : kMap) {
    if (m.code == status.code()) {
      http = m.http;
      code = m.mlflow;
    }
  }
  std::optional<ErrorDetails> details = ErrorDetailsOf(status);
  // Where MLflow's server names a case otherwise, its code wins.
  if (details && (details->reason == "PARAM_CHANGED" || details->reason == "RUN_DELETED")) {
    http = 400;
    code = "INVALID_PARAMETER_VALUE";
  }
  json body = {{"error_code", code}, {"message", std::string(status.message())}};
  if (details && !details->reason.empty()) body["fairtrace_reason"] = details->reason;
  return {http, body};
}

absl::StatusOr<std::vector<ProjectTarget>> CreateInTaggedProject(const json& params) {
  FT_ASSIGN_OR_RETURN(auto tags, TagsParam(params));
  auto it = tags.find(kProjectTag);
  FT_ASSIGN_OR_RETURN(std::string project,
                      ProjectOfCreate(it == tags.end() ? "" : it->second, absl::StrCat("tags[", kProjectTag, "]")));
  return std::vector<ProjectTarget>{{ProjectTarget::Use::kCreateIn, absl::StrCat("projects/", project), project}};
}

absl::StatusOr<std::vector<ProjectTarget>> ActOnTarget(Store* store, const std::string& collection,
                                                       const std::string& id, const std::string& field) {
  ProjectOwner owner{collection, id};
  if (!CouldExist(owner)) return InvalidField(field, "is not an id of this server");
  FT_ASSIGN_OR_RETURN(std::optional<std::string> project, store->ResourceProject(collection, id));
  return std::vector<ProjectTarget>{{ProjectTarget::Use::kActOn, owner.name(), project}};
}

MlflowDoor::MlflowDoor(DoorOptions options, DoorDependencies deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

MlflowDoor::~MlflowDoor() { Stop(); }

void MlflowDoor::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<MlflowDoor>> MlflowDoor::Start(DoorOptions options, DoorDependencies deps) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--mlflow-listen: '", options.listen, "' is not ADDR:PORT"));
  }
  const std::string host = options.listen.substr(0, colon);
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("the MLflow door's TLS needs both --tls-cert and --tls-key");
  }
  if (!IsLoopback(options.listen) && options.tls_cert.empty() && !options.insecure) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("--mlflow-listen ", options.listen,
                                     " is not a loopback address: give --tls-cert and --tls-key (and --client-ca for "
                                     "client certificates), or --insecure"))
        .Reason("EXPOSED_WITHOUT_TLS")
        .Build();
  }
  std::unique_ptr<MlflowDoor> door(new MlflowDoor(options, deps));
  if (options.tls_cert.empty()) {
    door->http_ = std::make_unique<httplib::Server>();
  } else {
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str(),
                                                    options.client_ca.empty() ? nullptr : options.client_ca.c_str());
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("the MLflow door cannot use the TLS files ", options.tls_cert,
                                                     ", ", options.tls_key,
                                                     options.client_ca.empty() ? "" : ", " + options.client_ca));
    }
    door->http_ = std::move(tls);
  }
  door->endpoints_ = ExperimentEndpoints(door->deps_, door->options_.page_token_key);
  if (door->deps_.runs != nullptr) {
    for (Endpoint& e : RunEndpoints(door->deps_, options.page_token_key)) door->endpoints_.push_back(std::move(e));
  }
  if (door->deps_.models != nullptr && door->deps_.artifacts != nullptr) {
    for (Endpoint& e : ModelEndpoints(door->deps_, options.page_token_key)) door->endpoints_.push_back(std::move(e));
  }
  if (door->deps_.artifacts != nullptr) {
    for (Endpoint& e : ArtifactEndpoints(door->deps_, options.max_artifact_bytes)) {
      door->endpoints_.push_back(std::move(e));
    }
  }
  httplib::Server& http = *door->http_;
  const int workers = std::max(2, options.workers);
  http.new_task_queue = [workers] { return new httplib::ThreadPool(static_cast<size_t>(workers)); };
  http.set_keep_alive_timeout(options.keep_alive_seconds);
  http.set_keep_alive_max_count(100000);
  http.set_tcp_nodelay(true);
  http.set_read_timeout(options.io_timeout_seconds);
  http.set_write_timeout(options.io_timeout_seconds);
  // The library's one limit is the artifact limit; JSON requests are held
  // to max_body_bytes before their body is read (below).
  http.set_payload_max_length(std::max(options.max_body_bytes, options.max_artifact_bytes));
  MlflowDoor* self = door.get();
  http.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    using Handled = httplib::Server::HandlerResponse;
    if (req.path.size() > kMaxPath) {
      SendError(res, 414, "INVALID_PARAMETER_VALUE", absl::StrCat("the path is longer than ", kMaxPath, " bytes"));
      return Handled::Handled;
    }
    if (req.has_header("Range")) {
      // The library applies a request's ranges to whatever body is sent
      // (several ranges: a multipart body, without bound). No endpoint
      // here serves ranges, so the answer has no body to apply them to.
      res.status = 416;
      res.set_header("Connection", "close");
      return Handled::Handled;
    }
    bool path_known = false;
    for (const Endpoint& e : self->endpoints_) {
      if (e.prefix ? !(req.path.size() > e.path.size() && absl::StartsWith(req.path, e.path)) : req.path != e.path) {
        continue;
      }
      path_known = true;
      if (req.method != e.method) continue;
      if (req.has_header("Transfer-Encoding")) {
        // The library's chunk parser is reached only by an artifact upload
        // (a stream endpoint: the body is read after Admit, into a receiver
        // that stops at max_artifact_bytes); MLflow's client sends an empty
        // file chunked. Anything else is refused before its body is read.
        if (!(e.stream && e.method == "PUT" && req.get_header_value("Transfer-Encoding") == "chunked" &&
              req.get_header_value_count("Transfer-Encoding") == 1)) {
          res.set_header("Connection", "close");
          SendError(res, 411, "INVALID_PARAMETER_VALUE",
                    "request bodies with a Transfer-Encoding are refused; send Content-Length");
          return Handled::Handled;
        }
      }
      // Bodies are framed by Content-Length only (Transfer-Encoding is
      // refused above): its value bounds what will be read.
      const std::string length = req.get_header_value("Content-Length");
      uint64_t bytes = 0;
      if (!length.empty() && !absl::SimpleAtoi(length, &bytes)) {
        res.set_header("Connection", "close");
        SendError(res, 400, "INVALID_PARAMETER_VALUE", "Content-Length is not a number");
        return Handled::Handled;
      }
      const size_t limit = e.method == "PUT" ? self->options_.max_artifact_bytes : self->options_.max_body_bytes;
      if (bytes > limit) {
        res.set_header("Connection", "close");
        SendError(res, 413, "RESOURCE_EXHAUSTED",
                  absl::StrCat("the body has ", bytes, " bytes; this endpoint takes at most ", limit));
        return Handled::Handled;
      }
      return Handled::Unhandled;  // the literal route serves it
    }
    if (!path_known) {
      SendError(res, 404, "ENDPOINT_NOT_FOUND",
                absl::StrCat("no MLflow endpoint ", text::ClipText(req.path, 200), " on this server"));
    } else {
      SendError(res, 405, "ENDPOINT_NOT_FOUND", absl::StrCat(req.method, " is not allowed on this endpoint"));
    }
    return Handled::Handled;
  });
  for (const Endpoint& e : door->endpoints_) {
    auto handler = [self, &e](const httplib::Request& req, httplib::Response& res) {
      self->Serve(e, req, res, nullptr);
    };
    // Prefix routes end in "[\s\S]+" (any byte, newlines too: the path is
    // URL-decoded): paths are at most kMaxPath bytes, so the
    // library's recursive std::regex match stays shallow.
    const std::string pattern = LiteralPattern(e.path) + (e.prefix ? "[\\s\\S]+" : "");
    if (e.method == "GET") {
      http.Get(pattern, handler);
    } else if (e.method == "DELETE") {
      http.Delete(pattern, handler);
    } else if (e.method == "PATCH") {
      http.Patch(pattern, handler);
    } else if (e.method == "PUT") {
      http.Put(pattern, [self, &e](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& body) { self->Serve(e, req, res, &body); });
    } else {
      http.Post(pattern, handler);
    }
  }
  // Errors the library answers by itself (413, 400 for a malformed
  // request) get MLflow's JSON too.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.status == 416) return;  // 416: no body for ranges to apply to
    SendError(res, res.status, res.status == 413 ? "RESOURCE_EXHAUSTED" : "BAD_REQUEST",
              absl::StrCat("HTTP ", res.status));
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    std::cerr << "fairtrace-server: MLflow door " << text::ClipText(req.path, 200) << ": internal error\n";
    SendError(res, 500, "INTERNAL_ERROR", "internal error; the server log has the cause");
  });
  door->port_ = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (door->port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  door->thread_ = std::thread([self] {
    self->http_->listen_after_bind();
    self->listen_returned_ = true;
  });
  // The library's stop() does nothing until its listen loop has started
  // (is_running()); a Stop() right after Start() would then wait forever
  // for a loop nobody stops. Start returns once the loop runs.
  while (!http.is_running() && !door->listen_returned_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!http.is_running()) return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  return door;
}

void MlflowDoor::Serve(const Endpoint& e, const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader* body) {
  try {
    json params = json::object();
    if (e.prefix) {
      const std::string rest = req.path.substr(e.path.size());
      if (!text::IsValidUtf8(rest)) {
        SendError(res, 400, "INVALID_PARAMETER_VALUE", "the path must be UTF-8");
        return;
      }
      params["artifact_path"] = rest;
    }
    if (e.method == "GET" || e.stream) {
      for (const auto& [k, v] : req.params) {
        if (!text::IsValidUtf8(k) || !text::IsValidUtf8(v)) {
          SendError(res, 400, "INVALID_PARAMETER_VALUE", "query parameters must be UTF-8");
          return;
        }
        // A key given more than once (order_by, experiment_ids) is a list,
        // in the order given.
        if (auto it = params.find(k); it == params.end()) {
          params[k] = v;
        } else if (it->is_array()) {
          it->push_back(v);
        } else {
          *it = json::array({*it, v});
        }
      }
    } else if (!req.body.empty()) {
      if (text::JsonDepth(req.body, kMaxJsonDepth) > kMaxJsonDepth) {
        SendError(res, 400, "INVALID_PARAMETER_VALUE", absl::StrCat("JSON nested deeper than ", kMaxJsonDepth));
        return;
      }
      params = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (params.is_discarded() || !params.is_object()) {
        SendError(res, 400, "MALFORMED_REQUEST", "the body is not a JSON object (UTF-8)");
        return;
      }
    }
    absl::StatusOr<DoorCall> call = Admit(e, req, std::move(params));
    if (e.stream) {
      absl::Status done = call.ok() ? e.stream(*call, req, res, body) : call.status();
      if (!done.ok()) {
        auto [status, err] = ErrorOf(done);
        res.content_provider_ = nullptr;
        // An upload refused before (or while) its body was read leaves
        // bytes on the connection that would be read as the next request.
        if (body != nullptr) res.set_header("Connection", "close");
        SendJson(res, status, err);
      }
      return;
    }
    absl::StatusOr<json> out = call.ok() ? e.handle(*call) : absl::StatusOr<json>(call.status());
    if (!out.ok()) {
      auto [status, body] = ErrorOf(out.status());
      SendJson(res, status, body);
      return;
    }
    SendJson(res, 200, *out);
  } catch (const std::exception& ex) {
    std::cerr << "fairtrace-server: MLflow door " << e.path << ": internal error: " << text::ClipText(ex.what(), 300)
              << "\n";
    SendError(res, 500, "INTERNAL_ERROR", "internal error; the server log has the cause");
  } catch (...) {
    std::cerr << "fairtrace-server: MLflow door " << e.path << ": internal error\n";
    SendError(res, 500, "INTERNAL_ERROR", "internal error; the server log has the cause");
  }
}

absl::StatusOr<DoorCall> MlflowDoor::Admit(const Endpoint& e, const httplib::Request& req, json params) {
  CallerCredentials credentials;
  if (req.ssl != nullptr && !options_.client_ca.empty()) {
    // The library verified the chain against the client CA; the subject
    // is written as gRPC writes x509_subject, so a grant names one
    // principal on both ports.
    if (X509* cert = SSL_get1_peer_certificate(req.ssl); cert != nullptr) {
      if (BIO* bio = BIO_new(BIO_s_mem()); bio != nullptr) {
        if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
          char* data = nullptr;
          const long n = BIO_get_mem_data(bio, &data);
          if (n > 0) credentials.x509_subject.assign(data, static_cast<size_t>(n));
        }
        BIO_free(bio);
      }
      X509_free(cert);
    }
  }
  if (std::string auth = req.get_header_value("Authorization"); !auth.empty()) {
    absl::string_view v = auth;
    if (!absl::ConsumePrefix(&v, "Bearer ")) {
      return ErrorBuilder(absl::StatusCode::kUnauthenticated, "the Authorization header is not 'Bearer <token>'")
          .Reason("TOKEN_INVALID")
          .Build();
    }
    credentials.bearer = std::string(absl::StripAsciiWhitespace(v));
  }
  absl::StatusOr<std::string> principal = deps_.access->Authenticate(credentials);
  DoorCall call;
  call.ctx.method = absl::StrCat("mlflow:", e.path);
  call.ctx.request_sha256 = Sha256Hex(std::string(req.method) + " " + req.path + "\n" + req.body);
  call.ctx.principal = principal.ok() ? *principal : std::string(kAnonymous);
  absl::StatusOr<ProjectScope> allowed =
      principal.ok() ? absl::StatusOr<ProjectScope>(ProjectScope::All()) : principal.status();
  if (principal.ok()) {
    std::vector<ProjectTarget> targets;
    absl::Status resolved = absl::OkStatus();
    if (deps_.access->enforced() && e.rule == ProjectRule::kFields && e.targets) {
      absl::StatusOr<std::vector<ProjectTarget>> t = e.targets(params);
      if (t.ok()) {
        targets = *std::move(t);
      } else {
        resolved = t.status();
      }
    }
    if (!resolved.ok()) return resolved;  // a malformed id or a store error: not a refusal
    allowed = deps_.access->AuthorizeAccess(*principal, call.ctx.method, e.access, e.rule, targets);
  }
  if (!allowed.ok()) {
    std::string caller = principal.ok() ? *principal : absl::StrCat("http:", req.remote_addr);
    RecordRefusal(refusals_, deps_.store, caller, call.ctx, e.path, allowed.status());
    return allowed.status();
  }
  call.principal = call.ctx.principal;
  call.params = std::move(params);
  call.projects = *std::move(allowed);
  return call;
}

}  // namespace fairtrace::mlflow
