#include "clients/cli/datasets_command.h"

#include <fstream>
#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/push.h"
#include "common/status/errors.h"
#include "fairtrace/v1/datasets.grpc.pb.h"

namespace fairtrace::cli {
namespace {

std::unique_ptr<v1::DatasetService::Stub> Stub(const client::ClientOptions& o) {
  return v1::DatasetService::NewStub(client::NewChannel(o));
}

std::unique_ptr<grpc::ClientContext> Context(const client::ClientOptions& o) {
  return client::NewCallContext(o, o.rpc_timeout);
}

std::string DatasetName(const std::string& s) { return absl::StartsWith(s, "datasets/") ? s : "datasets/" + s; }

void PrintDataset(const v1::Dataset& d) {
  std::cout << d.name() << "  latest version " << d.latest_version() << "\n";
  const v1::Datasheet& s = d.datasheet();
  if (!s.description().empty()) std::cout << "  description: " << s.description() << "\n";
  if (!s.license().empty()) std::cout << "  license: " << s.license() << "\n";
  for (const std::string& c : s.creators()) std::cout << "  creator: " << c << "\n";
  if (!s.collection_method().empty()) std::cout << "  collection method: " << s.collection_method() << "\n";
  if (!s.intended_use().empty()) std::cout << "  intended use: " << s.intended_use() << "\n";
  std::cout << "  etag: " << d.etag() << "\n";
}

void PrintVersion(const v1::DatasetVersion& v) {
  std::cout << v.name() << "  digest " << v.digest() << "\n  tree: " << v.tree().sha256() << "/"
            << v.tree().size_bytes() << "\n  items: " << v.item_count() << " (" << v.linked_item_count() << " linked), "
            << v.total_bytes() << " bytes\n";
  if (!v.investigation_revision().empty()) {
    std::cout << "  shows: " << v.observation_unit_count() << " observation unit(s), " << v.biological_material_count()
              << " biological material(s), " << v.sample_count() << " sample(s) of " << v.investigation_revision()
              << "\n";
  }
}

const char* KindName(v1::ItemChange::Kind k) {
  switch (k) {
    case v1::ItemChange::ADDED:
      return "added";
    case v1::ItemChange::REMOVED:
      return "removed";
    case v1::ItemChange::CHANGED:
      return "changed";
    case v1::ItemChange::MOVED:
      return "moved";
    case v1::ItemChange::RELINKED:
      return "relinked";
    default:
      return "?";
  }
}

}  // namespace

DatasetsCommand::DatasetsCommand(CLI::App& app) {
  datasets_ = app.add_subcommand("datasets", "dataset versions: files linked to the plants they show");
  datasets_->require_subcommand(1);
  create_ = datasets_->add_subcommand("create", "create a dataset and its datasheet");
  create_->add_option("DATASET", name_, "dataset id, e.g. leaves")->required();
  create_->add_option("--description", description_);
  create_->add_option("--license", license_, "SPDX identifier");
  create_->add_option("--creator", creators_, "repeatable");
  create_->add_option("--collection-method", collection_method_);
  create_->add_option("--intended-use", intended_use_);
  create_->add_option("--request-id", request_id_, "retries with the same id create nothing new");
  get_ = datasets_->add_subcommand("get", "show a dataset");
  get_->add_option("DATASET", name_)->required();
  list_ = datasets_->add_subcommand("list", "list datasets");
  version_ = datasets_->add_subcommand("version", "push a folder and its item table, register the next version");
  version_->add_option("DATASET", name_)->required();
  version_->add_option("DIR", path_, "the folder of files (or the digest of a pushed tree)")->required();
  version_->add_option("--items", items_file_, "item table: CSV, TSV or JSON Lines with a path column");
  version_->add_option("--format", format_, "csv, tsv or jsonl (default: detected)");
  version_->add_option("--investigation", investigation_,
                       "the MIAPPE revision the links name: investigations/{i}[/revisions/{r}]");
  version_->add_option("--request-id", request_id_);
  versions_ = datasets_->add_subcommand("versions", "list a dataset's versions, newest first");
  versions_->add_option("DATASET", name_)->required();
  items_ = datasets_->add_subcommand("items", "list a version's items");
  items_->add_option("VERSION", name_, "datasets/{d}/versions/{n}")->required();
  items_->add_option("--filter", filter_, "e.g. link = \"investigations/i/observationUnits/S1-P1\"");
  items_->add_option("--limit", limit_, "at most this many items (default 1000)");
  diff_ = datasets_->add_subcommand("diff", "what changed between two versions");
  diff_->add_option("BASE", name_)->required();
  diff_->add_option("TARGET", other_)->required();
  export_ = datasets_->add_subcommand("export", "a version as Croissant 1.0 JSON-LD");
  export_->add_option("VERSION", name_, "datasets/{d}/versions/{n}")->required();
  export_->add_option("--output", output_, "file to write (default: standard output)");
  export_->add_option("--base-iri", base_iri_, "absolute IRI the @ids start with (default urn:fairtrace:)");
}

int DatasetsCommand::Run(const client::ClientOptions& options, bool json, bool tty) {
  if (create_->parsed()) return Create(options, json);
  if (get_->parsed()) return Get(options, json);
  if (list_->parsed()) return List(options, json);
  if (version_->parsed()) return NewVersion(options, json, tty);
  if (versions_->parsed()) return Versions(options, json);
  if (items_->parsed()) return Items(options, json);
  if (export_->parsed()) return Export(options);
  return Diff(options, json);
}

int DatasetsCommand::Create(const client::ClientOptions& options, bool json) {
  v1::CreateDatasetRequest req;
  req.set_dataset_id(absl::StartsWith(name_, "datasets/") ? name_.substr(9) : name_);
  v1::Datasheet* s = req.mutable_datasheet();
  s->set_description(description_);
  s->set_license(license_);
  for (const std::string& c : creators_) s->add_creators(c);
  s->set_collection_method(collection_method_);
  s->set_intended_use(intended_use_);
  req.set_request_id(request_id_);
  v1::Dataset d;
  absl::Status st = client::FromGrpcStatus(Stub(options)->CreateDataset(Context(options).get(), req, &d));
  if (!st.ok()) return Fail(st, options.target);
  json ? void(std::cout << ProtoJson(d) << "\n") : PrintDataset(d);
  return 0;
}

int DatasetsCommand::Get(const client::ClientOptions& options, bool json) {
  v1::GetDatasetRequest req;
  req.set_name(DatasetName(name_));
  v1::Dataset d;
  absl::Status st = client::FromGrpcStatus(Stub(options)->GetDataset(Context(options).get(), req, &d));
  if (!st.ok()) return Fail(st, options.target);
  json ? void(std::cout << ProtoJson(d) << "\n") : PrintDataset(d);
  return 0;
}

int DatasetsCommand::List(const client::ClientOptions& options, bool json) {
  v1::ListDatasetsRequest req;
  do {
    v1::ListDatasetsResponse resp;
    absl::Status st = client::FromGrpcStatus(Stub(options)->ListDatasets(Context(options).get(), req, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::Dataset& d : resp.datasets()) {
      if (json) {
        std::cout << ProtoJson(d) << "\n";
      } else {
        std::cout << d.name() << "  latest version " << d.latest_version() << "\n";
      }
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return 0;
}

int DatasetsCommand::NewVersion(const client::ClientOptions& options, bool json, bool tty) {
  v1::CreateDatasetVersionRequest req;
  req.set_parent(DatasetName(name_));
  client::CasClient cas(options);
  absl::StatusOr<Digest> tree = ParseDigest(path_, "DIR");
  if (!tree.ok()) {  // not a digest: a folder to push first
    auto pushed = client::Push(cas, path_, {.show_progress = tty});
    if (!pushed.ok()) return Fail(pushed.status(), options.target);
    if (!pushed->is_tree) return Fail(InvalidField("DIR", "must be a folder"), options.target);
    tree = pushed->digest;
  }
  *req.mutable_tree() = DigestToProto(*tree);
  if (!items_file_.empty()) {
    auto table = client::Push(cas, items_file_, {.show_progress = false});
    if (!table.ok()) return Fail(table.status(), options.target);
    if (table->is_tree) return Fail(InvalidField("--items", "must be a file"), options.target);
    *req.mutable_item_table() = DigestToProto(table->digest);
  }
  if (format_ == "csv") req.set_item_table_format(v1::ITEM_TABLE_FORMAT_CSV);
  if (format_ == "tsv") req.set_item_table_format(v1::ITEM_TABLE_FORMAT_TSV);
  if (format_ == "jsonl") req.set_item_table_format(v1::ITEM_TABLE_FORMAT_JSONL);
  if (!format_.empty() && req.item_table_format() == v1::ITEM_TABLE_FORMAT_UNSPECIFIED) {
    return Fail(InvalidField("--format", "csv, tsv or jsonl"), options.target);
  }
  req.set_investigation_revision(investigation_);
  req.set_request_id(request_id_);
  v1::DatasetVersion v;
  absl::Status st = client::FromGrpcStatus(Stub(options)->CreateDatasetVersion(Context(options).get(), req, &v));
  if (!st.ok()) {
    PrintViolations(st);
    return Fail(st, options.target);
  }
  json ? void(std::cout << ProtoJson(v) << "\n") : PrintVersion(v);
  return 0;
}

int DatasetsCommand::Versions(const client::ClientOptions& options, bool json) {
  v1::ListDatasetVersionsRequest req;
  req.set_parent(DatasetName(name_));
  do {
    v1::ListDatasetVersionsResponse resp;
    absl::Status st = client::FromGrpcStatus(Stub(options)->ListDatasetVersions(Context(options).get(), req, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::DatasetVersion& v : resp.versions()) {
      json ? void(std::cout << ProtoJson(v) << "\n") : PrintVersion(v);
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return 0;
}

int DatasetsCommand::Items(const client::ClientOptions& options, bool json) {
  v1::ListItemsRequest req;
  req.set_parent(name_);
  req.set_filter(filter_);
  int64_t shown = 0;
  do {
    req.set_page_size(static_cast<int32_t>(std::min<int64_t>(limit_ - shown, 10'000)));
    v1::ListItemsResponse resp;
    absl::Status st = client::FromGrpcStatus(Stub(options)->ListItems(Context(options).get(), req, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::Item& i : resp.items()) {
      if (json) {
        std::cout << ProtoJson(i) << "\n";
      } else {
        std::cout << i.path() << "  " << i.media_type() << "  " << i.blob().size_bytes() << " B";
        for (const std::string& l : i.links()) std::cout << "  " << l;
        std::cout << "\n";
      }
      ++shown;
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && shown < limit_);
  return 0;
}

int DatasetsCommand::Diff(const client::ClientOptions& options, bool json) {
  v1::DiffDatasetVersionsRequest req;
  req.set_base(name_);
  req.set_target(other_);
  auto ctx = Context(options);
  auto reader = Stub(options)->DiffDatasetVersions(ctx.get(), req);
  v1::DiffDatasetVersionsResponse page;
  bool first = true;
  while (reader->Read(&page)) {
    if (first && !json) {
      std::cout << page.added() << " added, " << page.removed() << " removed, " << page.changed() << " changed, "
                << page.moved() << " moved, " << page.relinked() << " relinked"
                << (page.across_datasets() ? " (versions of two datasets)" : "") << "\n";
    }
    first = false;
    for (const v1::ItemChange& c : page.changes()) {
      if (json) {
        std::cout << ProtoJson(c) << "\n";
      } else {
        std::cout << KindName(c.kind()) << "  " << c.path();
        if (!c.old_path().empty()) std::cout << "  (from " << c.old_path() << ")";
        std::cout << "\n";
      }
    }
  }
  absl::Status st = client::FromGrpcStatus(reader->Finish());
  if (!st.ok()) return Fail(st, options.target);
  return 0;
}

int DatasetsCommand::Export(const client::ClientOptions& options) {
  v1::ExportDatasetVersionRequest req;
  req.set_name(name_);
  req.set_base_iri(base_iri_);
  auto ctx = Context(options);
  auto reader = Stub(options)->ExportDatasetVersion(ctx.get(), req);
  std::string doc;
  v1::ExportDatasetVersionResponse chunk;
  while (reader->Read(&chunk)) doc += chunk.data();
  absl::Status st = client::FromGrpcStatus(reader->Finish());
  if (!st.ok()) return Fail(st, options.target);
  if (output_.empty()) {
    std::cout << doc << "\n";
    return 0;
  }
  std::ofstream out(output_, std::ios::binary);
  out << doc;
  if (!out.flush()) return Fail(InvalidField("--output", "cannot write the file"), options.target);
  std::cerr << "wrote " << output_ << " (" << doc.size() << " bytes)\n";
  return 0;
}

}  // namespace fairtrace::cli
