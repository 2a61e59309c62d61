#include "clients/cli/investigations_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <grpcpp/grpcpp.h>

#include "clients/cli/cli_common.h"
#include "common/status/errors.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "validators/miappe/dcw_countries.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::cli {
namespace {

void PrintInvestigation(const v1::Investigation& inv) {
  std::cout << inv.name() << "  revision " << inv.revision() << "  " << inv.profile() << "\n  title: " << inv.title()
            << "\n  digest: " << inv.revision_digest() << "\n  studies: " << inv.study_count()
            << "  entities: " << inv.entity_count() << "\n  warnings: " << inv.report().warning_count()
            << "  (validator " << inv.report().validator_version() << ")\n  etag: " << inv.etag() << "\n";
}

std::unique_ptr<v1::InvestigationService::Stub> Stub(const client::ClientOptions& o) {
  return v1::InvestigationService::NewStub(client::NewChannel(o));
}

std::unique_ptr<grpc::ClientContext> Context(const client::ClientOptions& o) {
  return client::NewCallContext(o, o.rpc_timeout);
}

}  // namespace

InvestigationsCommand::InvestigationsCommand(CLI::App& app) {
  miappe_ = app.add_subcommand("investigations", "MIAPPE investigations (deprecated spelling: miappe)");
  miappe_->alias("miappe");
  miappe_->require_subcommand(1);
  validate_ = miappe_->add_subcommand(
      "validate", "validate MIAPPE files offline (xlsx, TSV, ISA-Tab, MIAPPE JSON, or folders of them)");
  validate_->add_option("PATH", paths_, ".xlsx workbook, folder of sheets, or sheet files")->required();
  validate_->add_option("--ontology", ontology_files_, "OBO file: check term existence, obsolescence, subtree")
      ->check(CLI::ExistingFile);
  validate_
      ->add_option("--country-outlines", country_outlines_, "DCW-GMT file for the site-in-country check (\"\" to skip)")
      ->capture_default_str();
  import_ = miappe_->add_subcommand("import", "store the sheets as a new revision of an investigation");
  import_->add_option("PATH", paths_, ".xlsx workbook, folder of sheets or ISA-Tab files, or files")->required();
  import_->add_option("--id", id_, "investigation id, e.g. drought-2025")->required();
  import_->add_option("--etag", etag_, "refuse unless the investigation still has this etag");
  import_->add_option("--request-id", request_id_, "retries with the same id store nothing new");
  for (CLI::App* sub : {validate_, import_}) {
    auto* strict = sub->add_flag("--strict", strict_, "recommended fields become errors");
    sub->add_flag("--lenient", lenient_, "fixable format errors become warnings, with the fix reported (and stored)")
        ->excludes(strict);
  }
  get_ = miappe_->add_subcommand("get", "show an investigation (latest revision unless --revision)");
  get_->add_option("INVESTIGATION", name_, "id or investigations/{id}")->required();
  get_->add_option("--revision", revision_);
  export_ = miappe_->add_subcommand(
      "export", "write a revision as MIAPPE JSON (docs/miappe-json.md) or ISA-Tab (docs/isa-tab.md)");
  export_->add_option("INVESTIGATION", name_, "id or investigations/{id}")->required();
  export_->add_option("--revision", revision_);
  export_->add_option("--format", format_, "json (default) or isa-tab")->check(CLI::IsMember({"json", "isa-tab"}));
  set_ = miappe_->add_subcommand("set", "change fields of one entity (the next revision)");
  set_->add_option("ENTITY", name_, "investigations/{i}/{collection}/{id} or investigations/{i}")->required();
  set_->add_option("ASSIGN", assignments_, "codename=value (empty value: clear)");
  add_ = miappe_->add_subcommand("add", "add one entity (the next revision)");
  add_->add_option("INVESTIGATION", name_, "id or investigations/{id}")->required();
  add_->add_option("SECTION", section_, "study, observation_unit, biological_material, ...")->required();
  add_->add_option("ASSIGN", assignments_, "codename=value");
  delete_ = miappe_->add_subcommand("delete", "remove one entity (the next revision)");
  delete_->add_option("ENTITY", name_, "investigations/{i}/{collection}/{id}")->required();
  for (CLI::App* sub : {set_, add_, delete_}) {
    sub->add_option("--etag", etag_, "refuse unless the investigation still has this etag");
    sub->add_option("--request-id", request_id_, "retries with the same id store nothing new");
    if (sub != delete_) sub->add_option("--ext", extensions_, "header=value: an extension column (empty: clear)");
  }
  export_->add_option("--output", output_,
                      "json: file to write (must not exist; default stdout); isa-tab: folder to create (required)");
}

int InvestigationsCommand::Run(const client::ClientOptions& options, bool json) {
  if (validate_->parsed()) return Validate(json);
  if (import_->parsed()) return Import(options, json);
  if (export_->parsed()) return Export(options);
  if (set_->parsed() || add_->parsed() || delete_->parsed()) return ChangeEntity(options, json);
  return Get(options, json);
}

int InvestigationsCommand::Validate(bool json) {
  using namespace fairtrace::miappe;
  std::vector<Finding> pre;
  std::vector<InputFile> files = ReadSheetFiles(paths_, &pre);
  // Held past the return on purpose: the process ends right after this
  // command, and freeing 100,000 records' maps one by one costs ~0.05 s of a
  // validation that must take under 1 s (bench/miappe_e2e.py).
  auto* sub_holder = new Submission(LoadSheets(files, Schema::Default(), &pre));
  const Submission& sub = *sub_holder;
  files.clear();
  files.shrink_to_fit();  // the records hold their values: the input bytes can go
  ValidateOptions options;
  options.strictness = strict_ ? Strictness::kStrict : lenient_ ? Strictness::kLenient : Strictness::kDefault;
  OntologySet ontologies;
  for (const std::string& path : ontology_files_) {
    std::ifstream in(path, std::ios::binary);
    std::string obo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ontologies.Add(std::make_shared<Ontology>(Ontology::Parse(path, obo)));
  }
  options.ontologies = &ontologies;
  // Opened only when a site has coordinates to check.
  std::unique_ptr<LazyDcwCountries> places;
  if (!country_outlines_.empty()) {
    places = std::make_unique<LazyDcwCountries>(country_outlines_);
    options.places = places.get();
  }
  Report report = fairtrace::miappe::Validate(sub, Schema::Default(), options, std::move(pre));
  if (places && !places->error().ok()) {
    std::cerr << "note: " << places->error().message() << "; site coordinates are not checked\n";
  }
  if (json) {
    std::cout << report.ToJson().dump() << "\n";
  } else {
    std::cout << report.ToText();
  }
  return report.ok() ? 0 : 1;
}

int InvestigationsCommand::Import(const client::ClientOptions& options, bool json) {
  std::vector<miappe::Finding> unreadable;
  std::vector<miappe::InputFile> files = miappe::ReadSheetFiles(paths_, &unreadable);
  if (!unreadable.empty()) {
    return Fail(InvalidField("PATH", unreadable[0].message + " (" + unreadable[0].location + ")"), options.target);
  }
  v1::ImportInvestigationRequest req;
  req.set_investigation_id(id_);
  req.set_etag(etag_);
  req.set_request_id(request_id_);
  req.set_strictness(strict_ ? v1::STRICTNESS_STRICT : lenient_ ? v1::STRICTNESS_LENIENT : v1::STRICTNESS_UNSPECIFIED);
  for (const auto& f : files) {
    v1::SheetFile* sf = req.add_files();
    sf->set_name(f.name.substr(f.name.find_last_of('/') + 1));
    sf->set_data(f.data);
  }
  v1::Investigation inv;
  absl::Status s = client::FromGrpcStatus(Stub(options)->ImportInvestigation(Context(options).get(), req, &inv));
  if (!s.ok()) {
    PrintViolations(s);
    return Fail(s, options.target);
  }
  json ? void(std::cout << ProtoJson(inv) << "\n") : PrintInvestigation(inv);
  return 0;
}

int InvestigationsCommand::ChangeEntity(const client::ClientOptions& options, bool json) {
  // "key=value" pairs into a map; a pair without "=" is the user's mistake.
  auto pairs = [&](const std::vector<std::string>& in, const char* what,
                   google::protobuf::Map<std::string, std::string>* out) -> absl::Status {
    for (const std::string& a : in) {
      size_t eq = a.find('=');
      if (eq == 0 || eq == std::string::npos) return InvalidField(what, "expected key=value, got \"" + a + "\"");
      (*out)[a.substr(0, eq)] = a.substr(eq + 1);
    }
    return absl::OkStatus();
  };
  std::string investigation = name_.rfind("investigations/", 0) == 0 ? name_ : "investigations/" + name_;
  v1::Investigation inv;
  grpc::Status status;
  auto ctx = Context(options);
  if (delete_->parsed()) {
    v1::DeleteEntityRequest req;
    req.set_name(name_);
    req.set_etag(etag_);
    req.set_request_id(request_id_);
    status = Stub(options)->DeleteEntity(ctx.get(), req, &inv);
  } else if (add_->parsed()) {
    v1::CreateEntityRequest req;
    req.set_parent(investigation);
    req.set_section(section_);
    req.set_etag(etag_);
    req.set_request_id(request_id_);
    if (absl::Status s = pairs(assignments_, "ASSIGN", req.mutable_values()); !s.ok()) return Fail(s, options.target);
    if (absl::Status s = pairs(extensions_, "--ext", req.mutable_extensions()); !s.ok()) return Fail(s, options.target);
    status = Stub(options)->CreateEntity(ctx.get(), req, &inv);
  } else {
    v1::UpdateEntityRequest req;
    req.mutable_entity()->set_name(name_);
    req.set_etag(etag_);
    req.set_request_id(request_id_);
    if (absl::Status s = pairs(assignments_, "ASSIGN", req.mutable_entity()->mutable_values()); !s.ok()) {
      return Fail(s, options.target);
    }
    if (absl::Status s = pairs(extensions_, "--ext", req.mutable_entity()->mutable_extensions()); !s.ok()) {
      return Fail(s, options.target);
    }
    if (assignments_.empty() && extensions_.empty()) {
      return Fail(InvalidField("ASSIGN", "give at least one codename=value or --ext header=value"), options.target);
    }
    for (const auto& [k, v] : req.entity().values()) req.mutable_update_mask()->add_paths("values." + k);
    for (const auto& [k, v] : req.entity().extensions()) req.mutable_update_mask()->add_paths("extensions." + k);
    status = Stub(options)->UpdateEntity(ctx.get(), req, &inv);
  }
  absl::Status s = client::FromGrpcStatus(status);
  if (!s.ok()) {
    PrintViolations(s);
    return Fail(s, options.target);
  }
  json ? void(std::cout << ProtoJson(inv) << "\n") : PrintInvestigation(inv);
  return 0;
}

int InvestigationsCommand::Get(const client::ClientOptions& options, bool json) {
  v1::GetInvestigationRequest req;
  req.set_name(name_.rfind("investigations/", 0) == 0 ? name_ : "investigations/" + name_);
  req.set_revision(revision_);
  v1::Investigation inv;
  absl::Status s = client::FromGrpcStatus(Stub(options)->GetInvestigation(Context(options).get(), req, &inv));
  if (!s.ok()) return Fail(s, options.target);
  json ? void(std::cout << ProtoJson(inv) << "\n") : PrintInvestigation(inv);
  return 0;
}

int InvestigationsCommand::Export(const client::ClientOptions& options) {
  v1::ExportInvestigationRequest req;
  req.set_name(name_.rfind("investigations/", 0) == 0 ? name_ : "investigations/" + name_);
  req.set_revision(revision_);
  req.set_format(format_ == "isa-tab" ? v1::EXPORT_FORMAT_ISA_TAB : v1::EXPORT_FORMAT_MIAPPE_JSON);
  v1::ExportInvestigationResponse resp;
  absl::Status s = client::FromGrpcStatus(Stub(options)->ExportInvestigation(Context(options).get(), req, &resp));
  if (!s.ok()) return Fail(s, options.target);
  for (const std::string& note : resp.notes()) std::cerr << "not exported: " << note << "\n";
  bool folder = format_ == "isa-tab";
  if (folder) {
    if (output_.empty())
      return Fail(InvalidField("--output", "ISA-Tab is several files: name a folder to create"), options.target);
    if (::mkdir(output_.c_str(), 0777) != 0) {
      return Fail(InvalidField("--output", std::string("cannot create the folder: ") + std::strerror(errno)),
                  options.target);
    }
  }
  for (const v1::SheetFile& f : resp.files()) {
    if (output_.empty()) {
      std::cout << f.data();
      continue;
    }
    // Server-given names are plain file names; refuse anything else.
    if (folder && (f.name().empty() || f.name().find('/') != std::string::npos || f.name()[0] == '.')) {
      return Fail(absl::InternalError("the server sent an unsafe file name"), options.target);
    }
    std::string path = folder ? output_ + "/" + f.name() : output_;
    std::FILE* out = std::fopen(path.c_str(), "wx");  // never overwrites
    if (out == nullptr)
      return Fail(InvalidField("--output", "cannot create " + path + " (does it exist?)"), options.target);
    bool ok = std::fwrite(f.data().data(), 1, f.data().size(), out) == f.data().size();
    ok = std::fclose(out) == 0 && ok;
    if (!ok) return Fail(absl::InternalError("cannot write " + path), options.target);
    std::cerr << "wrote " << path << " (" << f.data().size() << " bytes)\n";
  }
  return 0;
}

}  // namespace fairtrace::cli
