#include "registry/investigations/investigation_registry.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/investigations/investigation_names.h"
#include "validators/miappe/isatab_writer.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/locations.h"
#include "validators/miappe/miappe_json.h"
#include "validators/miappe/validator.h"

namespace fairtrace {
namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;
namespace mp = miappe;

constexpr int kMaxFiles = 64;
constexpr size_t kMaxBytes = size_t{64} << 20;
constexpr int kMaxViolations = 1000;

v1::FindingSeverity SeverityProto(mp::Severity s) {
  switch (s) {
    case mp::Severity::kInfo:
      return v1::FINDING_SEVERITY_INFO;
    case mp::Severity::kWarning:
      return v1::FINDING_SEVERITY_WARNING;
    case mp::Severity::kError:
      return v1::FINDING_SEVERITY_ERROR;
  }
  return v1::FINDING_SEVERITY_UNSPECIFIED;
}

v1::ValidationReport ReportProto(const mp::Report& r, bool include_errors) {
  v1::ValidationReport p;
  p.set_profile(r.profile);
  p.set_validator_version(r.validator_version);
  p.set_error_count(r.Count(mp::Severity::kError));
  p.set_warning_count(r.Count(mp::Severity::kWarning));
  p.set_info_count(r.Count(mp::Severity::kInfo));
  p.set_omitted_findings(r.omitted_total());
  for (const std::string& o : r.ontologies) p.add_ontology_snapshots(o);
  if (!r.template_name.empty() || !r.reference_sheets.empty()) {
    v1::RecognisedTemplate* t = p.mutable_template_();
    t->set_name(r.template_name);
    t->set_miappe_version(r.template_version);
    for (const std::string& sheet : r.reference_sheets) t->add_reference_sheets(sheet);
  }
  for (const mp::Finding& f : r.findings) {
    if (!include_errors && f.severity == mp::Severity::kError) continue;
    v1::Finding* x = p.add_findings();
    x->set_code(f.code);
    x->set_severity(SeverityProto(f.severity));
    x->set_section(f.section);
    x->set_entity_id(f.entity_id);
    x->set_field(f.field);
    x->set_dm(f.dm);
    x->set_value(f.value);
    x->set_message(f.message);
    x->set_hint(f.hint);
    x->set_fixed(f.fixed);
    x->set_location(f.location);
  }
  return p;
}

mp::Strictness StrictnessOf(v1::Strictness s) {
  return s == v1::STRICTNESS_STRICT    ? mp::Strictness::kStrict
         : s == v1::STRICTNESS_LENIENT ? mp::Strictness::kLenient
                                       : mp::Strictness::kDefault;
}

// Reads and validates the sheets of a request.
absl::Status CheckFiles(const google::protobuf::RepeatedPtrField<v1::SheetFile>& files) {
  if (files.empty()) return InvalidField("files", "give at least one file (xlsx, TSV, ISA-Tab or MIAPPE JSON)");
  if (files.size() > kMaxFiles) return InvalidField("files", absl::StrCat("at most ", kMaxFiles, " files"));
  size_t total = 0;
  for (int i = 0; i < files.size(); ++i) {
    const std::string& n = files[i].name();
    if (n.empty() || n.size() > 255 || n.find('/') != std::string::npos || n.find('\0') != std::string::npos) {
      return InvalidField(absl::StrCat("files[", i, "].name"), "a file name (no folders), 1-255 bytes");
    }
    total += files[i].data().size();
  }
  if (total > kMaxBytes) return InvalidField("files", absl::StrCat("at most ", kMaxBytes, " bytes in total"));
  return absl::OkStatus();
}

struct Checked {
  mp::Submission submission;
  mp::Report report;
};

Checked Check(const google::protobuf::RepeatedPtrField<v1::SheetFile>& files, const mp::ValidateOptions& options) {
  std::vector<mp::InputFile> in;
  for (const v1::SheetFile& f : files) in.push_back({f.name(), f.data()});
  std::vector<mp::Finding> pre;
  Checked c;
  c.submission = mp::LoadSheets(in, mp::Schema::Default(), &pre);
  c.report = mp::Validate(c.submission, mp::Schema::Default(), options, std::move(pre));
  return c;
}

// Lenient mode: store the fixed values the report names (whole-cell fixes
// only; list cells keep their text).
// A finding names the cell it is about (mp::FieldLocation), so the record
// is found by the location of that field's cell.
void ApplyFixes(const mp::Report& report, mp::Submission* sub) {
  // field -> "section|cell location" -> record, built once per fixed field.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, mp::Record*>> by_cell;
  for (const mp::Finding& f : report.findings) {
    if (f.fixed.empty() || f.field.empty() || f.severity == mp::Severity::kError) continue;
    const mp::FieldRule* rule = mp::Schema::Default().Field(f.section, f.field);
    if (rule == nullptr || absl::StrContains(rule->format, "list") || absl::StrContains(rule->format, "refs")) continue;
    auto [cells, fresh] = by_cell.try_emplace(f.field);
    if (fresh) {
      for (mp::Record& r : sub->records) {
        cells->second[absl::StrCat(r.section, "|", mp::FieldLocation(r, f.field))] = &r;
      }
    }
    auto it = cells->second.find(absl::StrCat(f.section, "|", f.location));
    if (it != cells->second.end()) it->second->values[f.field] = f.fixed;
  }
}

json RecordJson(const mp::Record& r) {
  json values = json::object();
  for (const auto& [k, v] : r.values) values[k] = v;
  json ext = json::array();
  for (const auto& [k, v] : r.extensions) ext.push_back({k, v});
  return {{"section", r.section}, {"values", values}, {"extensions", ext}, {"location", r.location}};
}

// The one decoder of a stored entity's record_json (written by RecordJson):
// string values, and extensions as [key, value] string pairs in stored
// order; anything else is skipped. std::nullopt when the text is not a
// JSON object. Never throws.
std::optional<mp::Record> RecordFromJson(const EntityRow& e) {
  json j = json::parse(e.record_json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  mp::Record r;
  r.section = e.section;
  r.location = e.location;
  if (auto it = j.find("values"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) r.values[k] = v.get<std::string>();
    }
  }
  if (auto it = j.find("extensions"); it != j.end() && it->is_array()) {
    for (const json& kv : *it) {
      if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
        r.extensions.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
      }
    }
  }
  return r;
}

// The canonical form of a record: what it says, not where it was read
// from — no location, no empty cells — so the same content gives the same
// digest from an xlsx workbook or from TSV sheets, in any file order.
json CanonicalRecord(const mp::Record& r) {
  json values = json::object();
  for (const auto& [k, v] : r.values) {
    if (!v.empty()) values[k] = v;
  }
  json ext = json::array();
  for (const auto& [k, v] : r.extensions) {
    if (!v.empty()) ext.push_back({k, v});
  }
  return {{"section", r.section}, {"values", values}, {"extensions", ext}};
}

int SectionRank(const std::string& section) {
  const auto& sections = mp::Schema::Default().sections();
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].section == section) return static_cast<int>(i);
  }
  return static_cast<int>(sections.size());
}

}  // namespace

// DEADLINE_EXCEEDED for a validation stopped before its end (cancelled by
// the client, or past the call's deadline): nothing is stored.
absl::Status ValidationStoppedError(const mp::Report& report) {
  if (!report.stopped) return absl::OkStatus();
  return ErrorBuilder(absl::StatusCode::kDeadlineExceeded,
                      "validation stopped: the call was cancelled or reached its deadline (the server allows "
                      "--heavy-call-seconds per call); nothing was stored")
      .Reason("VALIDATION_STOPPED");
}

InvestigationRegistry::InvestigationRegistry(Store* store, ModelStore* request_ids, InvestigationStore* experiments,
                                             std::string page_token_key, std::function<int64_t()> now_micros,
                                             const miappe::OntologySet* ontologies,
                                             const miappe::CountryLocator* places)
    : store_(store),
      request_ids_(request_ids),
      experiments_(experiments),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      ontologies_(ontologies),
      places_(places) {}

mp::ValidateOptions InvestigationRegistry::ValidateOptionsFor(v1::Strictness strictness, const CallContext& ctx) const {
  mp::ValidateOptions options;
  options.should_stop = ctx.should_stop;
  options.strictness = StrictnessOf(strictness);
  options.ontologies = ontologies_;
  options.places = places_;
  return options;
}

absl::StatusOr<v1::ValidationReport> InvestigationRegistry::ValidateInvestigation(
    const CallContext& ctx, const v1::ValidateInvestigationRequest& req) {
  FT_RETURN_IF_ERROR(CheckFiles(req.files()));
  Checked c = Check(req.files(), ValidateOptionsFor(req.strictness(), ctx));
  FT_RETURN_IF_ERROR(ValidationStoppedError(c.report));
  return ReportProto(c.report, /*include_errors=*/true);
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::ImportInvestigation(
    const CallContext& ctx, const v1::ImportInvestigationRequest& req) {
  std::string resource = absl::StrCat("investigations/", req.investigation_id());
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Investigation> {
    if (!IsValidResourceId(req.investigation_id())) {
      return InvalidField("investigation_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_ASSIGN_OR_RETURN(std::optional<v1::Investigation> earlier, Replay(ctx, req.request_id()));
    if (earlier) return *std::move(earlier);
    FT_RETURN_IF_ERROR(CheckFiles(req.files()));
    FT_ASSIGN_OR_RETURN(std::string project, ProjectOfCreate(req.project(), "project"));
    int64_t expected = 0;
    if (!req.etag().empty()) {
      FT_ASSIGN_OR_RETURN(std::optional<InvestigationRow> cur, experiments_->GetInvestigation(req.investigation_id()));
      if (!cur) return InvestigationNotFound(resource);
      FT_RETURN_IF_ERROR(CheckEtag(req.etag(), cur->uid, cur->latest_revision, resource));
      expected = cur->latest_revision;
    }
    Checked c = Check(req.files(), ValidateOptionsFor(req.strictness(), ctx));
    FT_RETURN_IF_ERROR(ValidationStoppedError(c.report));
    return StoreRevision(ctx, req.investigation_id(), project, std::move(c.submission), c.report, req.strictness(),
                         req.request_id(), expected);
  });
}

absl::StatusOr<std::optional<v1::Investigation>> InvestigationRegistry::Replay(const CallContext& ctx,
                                                                               const std::string& request_id) {
  FT_RETURN_IF_ERROR(CheckRequestId(request_id));
  FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                      EarlierRequest(request_ids_, RequestKeyOf(ctx, request_id), ctx.method));
  if (!earlier) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(*earlier, '/');
  int64_t rev = 0;
  if (parts.size() == 4 && ParseCanonicalInt(parts[3], &rev)) return Load(parts[1], rev);
  return absl::InternalError(absl::StrCat("request id bound to an unexpected resource ", *earlier));
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::StoreRevision(
    const CallContext& ctx, const std::string& id, const std::string& project, mp::Submission submission,
    const mp::Report& report, v1::Strictness strictness, const std::string& request_id, int64_t expected_latest) {
  const std::string resource = absl::StrCat("investigations/", id);
  int errors = report.Count(mp::Severity::kError);
  if (errors > 0) {
    ErrorBuilder err(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("the submission has ", errors, " MIAPPE error(s); nothing was stored (",
                                  "ValidateInvestigation returns the full report)"));
    err.Reason("MIAPPE_INVALID")
        .Meta("error_count", absl::StrCat(errors))
        .Meta("warning_count", absl::StrCat(report.Count(mp::Severity::kWarning)))
        .Meta("profile", report.profile);
    int n = 0;
    for (const mp::Finding& f : report.findings) {
      if (f.severity != mp::Severity::kError || n++ >= kMaxViolations) continue;
      std::string field = f.section.empty() ? f.location : f.section;
      if (!f.entity_id.empty() && !f.section.empty()) absl::StrAppend(&field, "[", f.entity_id, "]");
      if (!f.field.empty()) absl::StrAppend(&field, ".", f.field);
      err.Field(field, absl::StrCat(f.code, ": ", f.message, f.hint.empty() ? "" : absl::StrCat(" (", f.hint, ")")));
    }
    return err.Build();
  }
  if (strictness == v1::STRICTNESS_LENIENT) ApplyFixes(report, &submission);
  // Canonical form: records in sheet order; nlohmann objects sort keys.
  json canonical = {{"profile", report.profile}, {"records", json::array()}};
  std::vector<EntityRow> entities;
  std::vector<std::tuple<int, size_t, json>> canonical_records;
  RevisionRow rev;
  for (size_t i = 0; i < submission.records.size(); ++i) {
    const mp::Record& r = submission.records[i];
    json rec = RecordJson(r);
    entities.push_back(EntityRow{static_cast<int64_t>(i + 1), r.section, mp::RecordId(r), rec.dump(), r.location});
    canonical_records.emplace_back(SectionRank(r.section), i, CanonicalRecord(r));
    if (r.section == "investigation") rev.title = r.Get("investigationTitle");
    if (r.section == "study") ++rev.study_count;
  }
  std::sort(canonical_records.begin(), canonical_records.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  for (auto& [rank, index, rec] : canonical_records) canonical["records"].push_back(std::move(rec));
  rev.investigation_id = id;
  rev.digest = Sha256Hex(canonical.dump());
  rev.profile = report.profile;
  rev.validator_version = report.validator_version;
  rev.entity_count = static_cast<int64_t>(entities.size());
  std::string report_json;
  (void)google::protobuf::util::MessageToJsonString(ReportProto(report, false), &report_json);
  rev.report_json = report_json;
  rev.create_time = now_();
  FT_ASSIGN_OR_RETURN(
      RevisionRow stored,
      experiments_->InsertRevision(rev, NewUid(), project, expected_latest, entities, RequestKeyOf(ctx, request_id),
                                   MakeAuditEntry(ctx, resource, absl::OkStatus())));
  return Load(id, stored.revision);
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::Load(const std::string& id, int64_t revision) {
  std::string name = absl::StrCat("investigations/", id);
  FT_ASSIGN_OR_RETURN(std::optional<InvestigationRow> inv, experiments_->GetInvestigation(id));
  if (!inv) return InvestigationNotFound(name);
  if (revision == 0) revision = inv->latest_revision;
  FT_ASSIGN_OR_RETURN(std::optional<RevisionRow> rev, experiments_->GetRevision(id, revision));
  if (!rev) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " has no revision ", revision))
        .Reason("REVISION_NOT_FOUND");
  }
  v1::Investigation p;
  p.set_name(name);
  p.set_uid(inv->uid);
  p.set_revision(rev->revision);
  p.set_revision_digest(rev->digest);
  p.set_profile(rev->profile);
  p.set_validator_version(rev->validator_version);
  p.set_title(rev->title);
  p.set_study_count(static_cast<int32_t>(rev->study_count));
  p.set_entity_count(rev->entity_count);
  (void)google::protobuf::util::JsonStringToMessage(rev->report_json, p.mutable_report());
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(inv->create_time);
  *p.mutable_revision_time() = TimeUtil::MicrosecondsToTimestamp(rev->create_time);
  p.set_etag(Etag(inv->uid, inv->latest_revision));
  p.set_project(inv->project);
  return p;
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::GetInvestigation(const v1::GetInvestigationRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseInvestigationName(req.name(), "name"));
  if (req.revision() < 0) return InvalidField("revision", "0 (latest) or a revision number");
  return Load(id, req.revision());
}

absl::StatusOr<v1::ListInvestigationsResponse> InvestigationRegistry::ListInvestigations(
    const v1::ListInvestigationsRequest& req, const ProjectScope& scope) {
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  int page = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, "investigations", req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<InvestigationRow> rows, experiments_->ListInvestigations(after, page + 1, scope));
  v1::ListInvestigationsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    FT_ASSIGN_OR_RETURN(*out.add_investigations(), Load(rows[i].investigation_id, 0));
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, "investigations", rows[page - 1].investigation_id));
  }
  return out;
}

namespace {

v1::MiappeEntity EntityProto(const std::string& investigation, int64_t revision, const EntityRow& e) {
  v1::MiappeEntity p;
  std::string collection = e.section;
  for (const auto& [section, coll] : mp::SectionCollections()) {
    if (e.section == section) collection = coll;
  }
  p.set_name(e.section == "investigation"
                 ? absl::StrCat("investigations/", investigation)
                 : absl::StrCat("investigations/", investigation, "/", collection, "/", PercentEncode(e.entity_id)));
  p.set_section(e.section);
  p.set_entity_id(e.entity_id);
  p.set_revision(revision);
  p.set_location(e.location);
  p.set_seq(e.seq);
  if (std::optional<mp::Record> r = RecordFromJson(e)) {
    for (const auto& [k, v] : r->values) (*p.mutable_values())[k] = v;
    for (const auto& [k, v] : r->extensions) {
      (*p.mutable_extensions())[k] = v;
      v1::ExtensionCell* cell = p.add_extension_cells();
      cell->set_key(k);
      cell->set_value(v);
    }
  }
  return p;
}

}  // namespace

absl::StatusOr<v1::MiappeEntity> InvestigationRegistry::GetEntity(const v1::GetEntityRequest& req) {
  FT_ASSIGN_OR_RETURN(EntityName n, ParseEntityName(req.name(), "name"));
  const std::string& id = n.investigation;
  const std::string& section = n.section;
  const std::string& entity_id = n.entity_id;
  FT_ASSIGN_OR_RETURN(v1::Investigation inv, Load(id, req.revision()));
  FT_ASSIGN_OR_RETURN(std::optional<EntityRow> e, experiments_->GetEntity(id, inv.revision(), section, entity_id));
  if (!e) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no ", section, " \"", entity_id, "\" in revision ",
                                                                  inv.revision(), " of ", inv.name()))
        .Reason("ENTITY_NOT_FOUND")
        .Resource(section, req.name());
  }
  return EntityProto(id, inv.revision(), *e);
}

absl::StatusOr<v1::ListEntitiesResponse> InvestigationRegistry::ListEntities(const v1::ListEntitiesRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseInvestigationName(req.parent(), "parent"));
  bool known = false;
  for (const auto& [s, coll] : mp::SectionCollections()) known = known || req.section() == s;
  if (!known) return InvalidField("section", "a MIAPPE section: study, observation_unit, biological_material, ...");
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  int page = req.page_size() == 0 ? 100 : std::min(req.page_size(), 10000);
  FT_ASSIGN_OR_RETURN(v1::Investigation inv, Load(id, req.revision()));
  std::string kind = absl::StrCat("entities:", id, ":", inv.revision(), ":", req.section());
  FT_ASSIGN_OR_RETURN(std::string after_text, DecodePageToken(token_key_, kind, req.page_token()));
  int64_t after = 0;
  if (!after_text.empty() && !absl::SimpleAtoi(after_text, &after)) {
    return InvalidField("page_token", "not a page token of this list");
  }
  FT_ASSIGN_OR_RETURN(std::vector<EntityRow> rows,
                      experiments_->ListEntities(id, inv.revision(), req.section(), after, page + 1));
  v1::ListEntitiesResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    *out.add_entities() = EntityProto(id, inv.revision(), rows[i]);
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(rows[page - 1].seq)));
  }
  return out;
}

absl::StatusOr<v1::ExportInvestigationResponse> InvestigationRegistry::ExportInvestigation(
    const v1::ExportInvestigationRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseInvestigationName(req.name(), "name"));
  if (req.format() != v1::EXPORT_FORMAT_UNSPECIFIED && req.format() != v1::EXPORT_FORMAT_MIAPPE_JSON &&
      req.format() != v1::EXPORT_FORMAT_ISA_TAB) {
    return InvalidField("format", "MIAPPE JSON or ISA-Tab");
  }
  FT_ASSIGN_OR_RETURN(v1::Investigation inv, Load(id, req.revision()));
  FT_ASSIGN_OR_RETURN(std::vector<mp::Record> records, LoadRecords(id, inv));
  v1::ExportInvestigationResponse out;
  if (req.format() == v1::EXPORT_FORMAT_ISA_TAB) {
    mp::IsaTabExport isa = mp::WriteIsaTab(records);
    for (mp::InputFile& f : isa.files) {
      v1::SheetFile* file = out.add_files();
      file->set_name(std::move(f.name));
      file->set_data(std::move(f.data));
    }
    for (std::string& n : isa.notes) out.add_notes(std::move(n));
    return out;
  }
  v1::SheetFile* f = out.add_files();
  f->set_name(absl::StrCat(id, "-r", inv.revision(), ".miappe.json"));
  f->set_data(mp::WriteMiappeJson(records));
  return out;
}

absl::StatusOr<std::vector<mp::Record>> InvestigationRegistry::LoadRecords(const std::string& id,
                                                                           const v1::Investigation& inv) {
  std::vector<mp::Record> records;
  for (const auto& [section, collection] : mp::SectionCollections()) {
    int64_t after = 0;
    while (true) {
      FT_ASSIGN_OR_RETURN(std::vector<EntityRow> rows,
                          experiments_->ListEntities(id, inv.revision(), section, after, 10000));
      for (const EntityRow& e : rows) {
        std::optional<mp::Record> r = RecordFromJson(e);
        if (!r) return absl::InternalError(absl::StrCat("unreadable entity ", e.seq, " of ", inv.name()));
        records.push_back(*std::move(r));
        after = e.seq;
      }
      if (rows.size() < 10000) break;
    }
  }
  return records;
}

}  // namespace fairtrace
