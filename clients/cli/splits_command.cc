#include "clients/cli/splits_command.h"

#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/push.h"
#include "common/status/errors.h"
#include "fairtrace/v1/splits.grpc.pb.h"

namespace fairtrace::cli {
namespace {

std::unique_ptr<v1::SplitService::Stub> Stub(const client::ClientOptions& o) {
  return v1::SplitService::NewStub(client::NewChannel(o));
}

std::unique_ptr<grpc::ClientContext> Context(const client::ClientOptions& o) {
  return client::NewCallContext(o, o.rpc_timeout);
}

void PrintSplit(const v1::Split& s) {
  std::cout << s.name() << "  digest " << s.digest() << "\n";
  for (const v1::SplitPart& p : s.parts()) {
    std::cout << "  " << p.part() << ": " << p.item_count() << " item(s), " << p.group_count() << " group(s), digest "
              << p.digest() << "\n";
  }
}

}  // namespace

SplitsCommand::SplitsCommand(CLI::App& app) {
  splits_ = app.add_subcommand("splits", "splits of dataset versions, and leakage checks");
  splits_->require_subcommand(1);
  create_ = splits_->add_subcommand("create", "split a dataset version (regenerable: method, parameters, seed)");
  create_->add_option("VERSION", name_, "datasets/{d}/versions/{n}")->required();
  create_->add_option("--id", id_, "the split's id (default: generated)");
  create_->add_option("--method", method_, "holdout (default), kfold, temporal or explicit");
  create_->add_option("--ratio", ratios_, "PART=RATIO, repeatable, in order (default train=0.8 test=0.2)");
  create_->add_option("--k", k_, "folds of a kfold split");
  create_->add_option("--seed", seed_, "seed of the group order (default 0)");
  create_->add_option("--group", group_,
                      "observation_unit, biological_material, sample, acquired_date, sensor, view, station or "
                      "attributes.KEY");
  create_->add_option("--stratify", stratify_, "an annotation set (labels) of the same version");
  create_->add_option("--assignment", assignment_, "explicit: a path,part CSV file");
  create_->add_option("--request-id", request_id_);
  get_ = splits_->add_subcommand("get", "show a split and its parts");
  get_->add_option("SPLIT", name_)->required();
  get_->add_option("--items", part_, "also list the items of this part");
  get_->add_option("--limit", limit_, "with --items: at most this many (default 1000)");
  list_ = splits_->add_subcommand("list", "list a version's splits");
  list_->add_option("VERSION", name_)->required();
  check_ = splits_->add_subcommand("check", "check a split for leakage and store the report");
  check_->add_option("SPLIT", name_)->required();
  check_->add_option("--group", groups_, "also check this group key (repeatable)");
  check_->add_option("--max-pairs", max_pairs_, "offending pairs listed per finding (default 20)");
}

int SplitsCommand::Run(const client::ClientOptions& options, bool json) {
  if (create_->parsed()) return Create(options, json);
  if (get_->parsed()) return Get(options, json);
  if (list_->parsed()) return List(options, json);
  return Check(options, json);
}

int SplitsCommand::Create(const client::ClientOptions& options, bool json) {
  v1::CreateSplitRequest req;
  req.set_parent(name_);
  req.set_split_id(id_.empty() ? absl::StrCat("s-", method_, "-", seed_) : id_);
  v1::Split* s = req.mutable_split();
  const std::pair<const char*, v1::SplitMethod> kMethods[] = {{"holdout", v1::SPLIT_METHOD_HOLDOUT},
                                                              {"kfold", v1::SPLIT_METHOD_KFOLD},
                                                              {"temporal", v1::SPLIT_METHOD_TEMPORAL},
                                                              {"explicit", v1::SPLIT_METHOD_EXPLICIT}};
  for (const auto& [n, m] : kMethods) {
    if (method_ == n) s->set_method(m);
  }
  if (s->method() == v1::SPLIT_METHOD_UNSPECIFIED) {
    return Fail(InvalidField("--method", "holdout, kfold, temporal or explicit"), options.target);
  }
  std::vector<std::string> ratios = ratios_;
  if (ratios.empty() && (method_ == "holdout" || method_ == "temporal")) ratios = {"train=0.8", "test=0.2"};
  for (const std::string& r : ratios) {
    size_t eq = r.find('=');
    double ratio = 0;
    if (eq == std::string::npos || !absl::SimpleAtod(r.substr(eq + 1), &ratio)) {
      return Fail(InvalidField("--ratio", absl::StrCat("\"", r, "\" is not PART=RATIO")), options.target);
    }
    v1::PartRatio* pr = s->add_ratios();
    pr->set_part(r.substr(0, eq));
    pr->set_ratio(ratio);
  }
  s->set_folds(k_);
  s->set_seed(seed_);
  s->set_group_by(group_);
  s->set_stratify_by(stratify_);
  if (!assignment_.empty()) {
    client::CasClient cas(options);
    auto pushed = client::Push(cas, assignment_, {.show_progress = false});
    if (!pushed.ok()) return Fail(pushed.status(), options.target);
    *s->mutable_assignment() = DigestToProto(pushed->digest);
  }
  req.set_request_id(request_id_);
  v1::Split out;
  absl::Status st = client::FromGrpcStatus(Stub(options)->CreateSplit(Context(options).get(), req, &out));
  if (!st.ok()) {
    PrintViolations(st);
    return Fail(st, options.target);
  }
  json ? void(std::cout << ProtoJson(out) << "\n") : PrintSplit(out);
  return 0;
}

int SplitsCommand::Get(const client::ClientOptions& options, bool json) {
  v1::GetSplitRequest req;
  req.set_name(name_);
  v1::Split s;
  absl::Status st = client::FromGrpcStatus(Stub(options)->GetSplit(Context(options).get(), req, &s));
  if (!st.ok()) return Fail(st, options.target);
  json ? void(std::cout << ProtoJson(s) << "\n") : PrintSplit(s);
  if (part_.empty()) return 0;
  v1::ListPartItemsRequest list;
  list.set_parent(absl::StrCat(name_, "/parts/", part_));
  int64_t shown = 0;
  do {
    list.set_page_size(static_cast<int32_t>(std::min<int64_t>(limit_ - shown, 10'000)));
    v1::ListPartItemsResponse resp;
    st = client::FromGrpcStatus(Stub(options)->ListPartItems(Context(options).get(), list, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::PartItem& i : resp.items()) {
      json ? void(std::cout << ProtoJson(i) << "\n") : void(std::cout << "  " << i.path() << "\n");
      ++shown;
    }
    list.set_page_token(resp.next_page_token());
  } while (!list.page_token().empty() && shown < limit_);
  return 0;
}

int SplitsCommand::List(const client::ClientOptions& options, bool json) {
  v1::ListSplitsRequest req;
  req.set_parent(name_);
  do {
    v1::ListSplitsResponse resp;
    absl::Status st = client::FromGrpcStatus(Stub(options)->ListSplits(Context(options).get(), req, &resp));
    if (!st.ok()) return Fail(st, options.target);
    for (const v1::Split& s : resp.splits()) {
      json ? void(std::cout << ProtoJson(s) << "\n") : PrintSplit(s);
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return 0;
}

int SplitsCommand::Check(const client::ClientOptions& options, bool json) {
  v1::CheckLeakageRequest req;
  req.set_split(name_);
  for (const std::string& g : groups_) req.add_groups(g);
  req.set_max_pairs(max_pairs_);
  v1::LeakageReport r;
  absl::Status st = client::FromGrpcStatus(Stub(options)->CheckLeakage(Context(options).get(), req, &r));
  if (!st.ok()) return Fail(st, options.target);
  if (json) {
    std::cout << ProtoJson(r) << "\n";
  } else {
    std::cout << r.name() << (r.leakage_found() ? "  LEAKAGE FOUND" : "  no leakage") << "\n";
    for (const v1::LeakageFinding& f : r.findings()) {
      std::cout << "  " << f.kind() << ": " << f.count() << "\n";
      for (const v1::LeakagePair& p : f.pairs()) {
        std::cout << "    " << p.a() << " (" << p.a_part() << ")  ~  " << p.b() << " (" << p.b_part() << ")";
        if (!p.shared().empty()) std::cout << "  share " << p.shared();
        std::cout << "\n";
      }
    }
  }
  return r.leakage_found() ? 3 : 0;
}

}  // namespace fairtrace::cli
