#include "clients/cli/annotations_command.h"

#include <filesystem>
#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/push.h"
#include "common/status/errors.h"
#include "fairtrace/v1/annotations.grpc.pb.h"

namespace fairtrace::cli {
namespace {

std::unique_ptr<v1::AnnotationService::Stub> Stub(const client::ClientOptions& o) {
  return v1::AnnotationService::NewStub(client::NewChannel(o));
}

std::unique_ptr<grpc::ClientContext> Context(const client::ClientOptions& o) {
  return client::NewCallContext(o, o.rpc_timeout);
}

const std::pair<const char*, v1::AnnotationTask> kTasks[] = {
    {"labels", v1::ANNOTATION_TASK_LABELS}, {"measurements", v1::ANNOTATION_TASK_MEASUREMENTS},
    {"boxes", v1::ANNOTATION_TASK_BOXES},   {"polygons", v1::ANNOTATION_TASK_POLYGONS},
    {"masks", v1::ANNOTATION_TASK_MASKS},
};

const char* TaskName(v1::AnnotationTask t) {
  for (const auto& [name, task] : kTasks) {
    if (task == t) return name;
  }
  return "?";
}

void PrintSet(const v1::AnnotationSet& s) {
  std::cout << s.name() << "\n  annotator: " << s.annotator() << "\n  task: " << TaskName(s.task())
            << "\n  annotations: " << s.annotation_count() << " on " << s.annotated_item_count() << " item(s)\n";
  if (!s.protocol().name().empty()) {
    std::cout << "  protocol: " << s.protocol().name() << " " << s.protocol().version() << "\n";
  }
  if (!s.tool().name().empty()) std::cout << "  tool: " << s.tool().name() << " " << s.tool().version() << "\n";
  if (!s.replaces().empty()) std::cout << "  replaces: " << s.replaces() << "\n";
  std::cout << "  digest: " << s.digest() << "\n";
}

void PrintReport(const v1::AgreementReport& r) {
  std::cout << r.name() << "\n  sets:";
  for (const std::string& s : r.annotation_sets()) std::cout << " " << s;
  std::cout << "\n  document: " << r.document().sha256() << "/" << r.document().size_bytes() << "\n";
  for (const v1::AgreementCoefficient& c : r.overall()) {
    std::cout << "  " << c.measure() << ": ";
    if (c.defined()) {
      std::cout << c.value();
    } else {
      std::cout << "undefined (" << c.undefined_reason() << ")";
    }
    if (c.interval_defined()) std::cout << "  95% CI [" << c.lower() << ", " << c.upper() << "]";
    std::cout << "  (" << c.units() << " units)\n";
  }
}

}  // namespace

AnnotationsCommand::AnnotationsCommand(CLI::App& app) {
  annotations_ = app.add_subcommand("annotations", "annotation sets per annotator, and their agreement");
  annotations_->require_subcommand(1);
  add_ = annotations_->add_subcommand("add", "push an annotation file (or mask folder) and register it");
  add_->add_option("VERSION", name_, "datasets/{d}/versions/{n}")->required();
  add_->add_option("SOURCE", source_, "COCO .json, label .csv/.tsv, or a folder of mask PNGs")->required();
  add_->add_option("--task", task_, "labels, measurements, boxes, polygons or masks")->required();
  add_->add_option("--id", id_, "the set's id (default: derived from the annotator)");
  add_->add_option("--annotator", annotator_, "principal or pseudonymous id (default: the caller)");
  add_->add_option("--protocol", protocol_, "annotation protocol name");
  add_->add_option("--protocol-version", protocol_version_);
  add_->add_option("--guideline", guideline_, "the guideline document (pushed and digested)");
  add_->add_option("--tool", tool_, "annotation tool name");
  add_->add_option("--tool-version", tool_version_);
  add_->add_option("--category", categories_, "ID=NAME, repeatable (labels: ordinal order; masks: class ids)");
  add_->add_option("--replaces", replaces_, "the set this one corrects");
  add_->add_option("--request-id", request_id_);
  list_ = annotations_->add_subcommand("list", "list a version's annotation sets");
  list_->add_option("VERSION", name_)->required();
  get_ = annotations_->add_subcommand("get", "show an annotation set");
  get_->add_option("SET", name_)->required();
  get_->add_flag("--annotations", show_annotations_, "also list its annotations");
  get_->add_option("--filter", filter_, "with --annotations: path = \"x.png\", category_id = 2");
  get_->add_option("--limit", limit_, "with --annotations: at most this many (default 1000)");
  agreement_ = annotations_->add_subcommand("agreement", "compute and store the agreement between sets");
  agreement_->add_option("SETS", sets_, "two or more annotation sets of one version")->required()->expected(2, -1);
  agreement_->add_option("--scale", scale_, "nominal (labels, default), ordinal (labels) or interval (measurements)");
  agreement_->add_option("--bootstrap", bootstrap_, "replicates (default 1000; -1: no intervals)");
  agreement_->add_option("--seed", seed_, "bootstrap seed (default 0)");
  agreement_->add_option("--iou", iou_, "IoU for a match (boxes, instances; default 0.5)");
  agreement_->add_option("--worst", worst_, "worst-agreeing items to list (default 10)");
  agreement_->add_option("--id", id_, "the report's id (default: generated)");
  agreement_->add_flag("--document", document_, "print the whole stored report document");
}

int AnnotationsCommand::Run(const client::ClientOptions& options, bool json) {
  if (add_->parsed()) return Add(options, json);
  if (list_->parsed()) return List(options, json);
  if (get_->parsed()) return Get(options, json);
  return Agreement(options, json);
}

int AnnotationsCommand::Add(const client::ClientOptions& options, bool json) {
  v1::CreateAnnotationSetRequest req;
  req.set_parent(name_);
  v1::AnnotationSet* s = req.mutable_annotation_set();
  for (const auto& [n, t] : kTasks) {
    if (task_ == n) s->set_task(t);
  }
  if (s->task() == v1::ANNOTATION_TASK_UNSPECIFIED) {
    return Fail(InvalidField("--task", "labels, measurements, boxes, polygons or masks"), options.target);
  }
  client::CasClient cas(options);
  auto pushed = client::Push(cas, source_, {.show_progress = false});
  if (!pushed.ok()) return Fail(pushed.status(), options.target);
  if (pushed->is_tree) {
    s->set_format(v1::ANNOTATION_FORMAT_MASK_FOLDER);
    *s->mutable_source_tree() = DigestToProto(pushed->digest);
  } else {
    s->set_format(absl::EndsWith(source_, ".json") ? v1::ANNOTATION_FORMAT_COCO_JSON : v1::ANNOTATION_FORMAT_LABEL_CSV);
    *s->mutable_source_blob() = DigestToProto(pushed->digest);
  }
  s->set_annotator(annotator_);
  s->mutable_protocol()->set_name(protocol_);
  s->mutable_protocol()->set_version(protocol_version_);
  if (!guideline_.empty()) {
    auto g = client::Push(cas, guideline_, {.show_progress = false});
    if (!g.ok()) return Fail(g.status(), options.target);
    if (g->is_tree) return Fail(InvalidField("--guideline", "must be a file"), options.target);
    *s->mutable_protocol()->mutable_guideline() = DigestToProto(g->digest);
  }
  s->mutable_tool()->set_name(tool_);
  s->mutable_tool()->set_version(tool_version_);
  for (const std::string& c : categories_) {
    size_t eq = c.find('=');
    int64_t id = 0;
    if (eq == std::string::npos || !absl::SimpleAtoi(c.substr(0, eq), &id) || eq + 1 == c.size()) {
      return Fail(InvalidField("--category", absl::StrCat("\"", c, "\" is not ID=NAME")), options.target);
    }
    v1::AnnotationCategory* cat = s->add_categories();
    cat->set_id(id);
    cat->set_name(c.substr(eq + 1));
  }
  s->set_replaces(replaces_);
  std::string id = id_;
  if (id.empty()) {
    // The annotator's name, lowercased to an id, plus the task.
    std::string base = annotator_.empty() ? "set" : annotator_;
    for (char& ch : base) ch = std::isalnum(static_cast<unsigned char>(ch)) ? std::tolower(ch) : '-';
    if (!std::isalpha(static_cast<unsigned char>(base[0]))) base = "a-" + base;
    id = absl::StrCat(base.substr(0, 40), "-", task_);
  }
  req.set_annotation_set_id(id);
  req.set_request_id(request_id_);
  v1::AnnotationSet out;
  absl::Status st = client::FromGrpcStatus(Stub(options)->CreateAnnotationSet(Context(options).get(), req, &out));
  if (!st.ok()) {
    PrintViolations(st);
    return Fail(st, options.target);
  }
  json ? void(std::cout << ProtoJson(out) << "\n") : PrintSet(out);
  return 0;
}

int AnnotationsCommand::List(const client::ClientOptions& options, bool json) {
  v1::ListAnnotationSetsRequest req;
  req.set_parent(name_);
  do {
    v1::ListAnnotationSetsResponse resp;
    absl::Status st = client::FromGrpcStatus(Stub(options)->ListAnnotationSets(Context(options).get(), req, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::AnnotationSet& s : resp.annotation_sets()) {
      if (json) {
        std::cout << ProtoJson(s) << "\n";
      } else {
        std::cout << s.name() << "  " << TaskName(s.task()) << "  " << s.annotator() << "  " << s.annotation_count()
                  << " annotation(s)\n";
      }
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return 0;
}

int AnnotationsCommand::Get(const client::ClientOptions& options, bool json) {
  v1::GetAnnotationSetRequest req;
  req.set_name(name_);
  v1::AnnotationSet s;
  absl::Status st = client::FromGrpcStatus(Stub(options)->GetAnnotationSet(Context(options).get(), req, &s));
  if (!st.ok()) return Fail(st, options.target);
  json ? void(std::cout << ProtoJson(s) << "\n") : PrintSet(s);
  if (!show_annotations_) return 0;
  v1::ListAnnotationsRequest list;
  list.set_parent(name_);
  list.set_filter(filter_);
  int64_t shown = 0;
  do {
    list.set_page_size(static_cast<int32_t>(std::min<int64_t>(limit_ - shown, 10'000)));
    v1::ListAnnotationsResponse resp;
    st = client::FromGrpcStatus(Stub(options)->ListAnnotations(Context(options).get(), list, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::Annotation& a : resp.annotations()) {
      if (json) {
        std::cout << ProtoJson(a) << "\n";
      } else {
        std::cout << "  " << a.path();
        if (!a.category().empty()) std::cout << "  " << a.category();
        if (s.task() == v1::ANNOTATION_TASK_MEASUREMENTS) std::cout << "  " << a.value();
        if (a.bbox_size() == 4) {
          std::cout << "  [" << a.bbox(0) << ", " << a.bbox(1) << ", " << a.bbox(2) << ", " << a.bbox(3) << "]";
        }
        std::cout << "\n";
      }
      ++shown;
    }
    list.set_page_token(resp.next_page_token());
  } while (!list.page_token().empty() && shown < limit_);
  return 0;
}

int AnnotationsCommand::Agreement(const client::ClientOptions& options, bool json) {
  v1::ComputeAgreementRequest req;
  for (const std::string& s : sets_) req.add_annotation_sets(s);
  if (scale_ == "nominal") req.set_scale(v1::AGREEMENT_SCALE_NOMINAL);
  if (scale_ == "ordinal") req.set_scale(v1::AGREEMENT_SCALE_ORDINAL);
  if (scale_ == "interval") req.set_scale(v1::AGREEMENT_SCALE_INTERVAL);
  if (!scale_.empty() && req.scale() == v1::AGREEMENT_SCALE_UNSPECIFIED) {
    return Fail(InvalidField("--scale", "nominal, ordinal or interval"), options.target);
  }
  req.set_bootstrap_replicates(bootstrap_);
  req.set_seed(seed_);
  req.set_iou_threshold(iou_);
  req.set_worst_items(worst_);
  req.set_report_id(id_);
  v1::AgreementReport r;
  absl::Status st = client::FromGrpcStatus(Stub(options)->ComputeAgreement(Context(options).get(), req, &r));
  if (!st.ok()) return Fail(st, options.target);
  if (document_) {
    client::CasClient cas(options);
    absl::StatusOr<Digest> d = DigestFromProto(r.document(), "document");
    if (!d.ok()) return Fail(d.status(), options.target);
    absl::StatusOr<std::vector<std::string>> doc = cas.BatchRead({*d});
    if (!doc.ok()) return Fail(doc.status(), options.target);
    std::cout << (*doc)[0];
    return 0;
  }
  json ? void(std::cout << ProtoJson(r) << "\n") : PrintReport(r);
  return 0;
}

}  // namespace fairtrace::cli
